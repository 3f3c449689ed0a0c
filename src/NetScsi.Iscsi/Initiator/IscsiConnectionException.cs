namespace NetScsi.Iscsi.Initiator;

/// <summary>
/// The session could not reach the target: the connection failed and could not be re-established
/// within the replacement timeout, or the session was closed while the command was outstanding.
/// </summary>
public sealed class IscsiConnectionException : IOException
{
    /// <summary>Creates the exception.</summary>
    public IscsiConnectionException()
        : base("The iSCSI connection failed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public IscsiConnectionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The last connection or login error.</param>
    public IscsiConnectionException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
