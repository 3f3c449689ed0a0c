namespace NetScsi.Iscsi.Initiator;

/// <summary>A convenience command (read, write, inquiry…) ended with a status other than GOOD.</summary>
public sealed class ScsiCommandException : Exception
{
    /// <summary>Creates the exception for a result.</summary>
    /// <param name="result">The command's result.</param>
    public ScsiCommandException(ScsiResult result)
        : base(result.Describe())
    {
        Result = result;
    }

    /// <summary>Creates the exception.</summary>
    public ScsiCommandException()
        : base("The SCSI command failed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public ScsiCommandException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public ScsiCommandException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Status, sense and residual of the failed command.</summary>
    public ScsiResult Result { get; }
}
