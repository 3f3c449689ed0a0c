namespace NetScsi.Iscsi.Initiator;

/// <summary>
/// A command got no response within <see cref="IscsiSessionOptions.CommandTimeout"/>; the initiator
/// aborted it (ABORT TASK, then LOGICAL UNIT RESET, then a session re-open) and gave up on it.
/// </summary>
public sealed class IscsiCommandTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    public IscsiCommandTimeoutException()
        : base("The iSCSI command timed out.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public IscsiCommandTimeoutException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public IscsiCommandTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
