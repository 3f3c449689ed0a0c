namespace NetScsi.Iscsi.Initiator;

/// <summary>The target rejected a PDU of this command (RFC 7143 §11.17) or broke the protocol for it.</summary>
public sealed class IscsiProtocolException : IOException
{
    /// <summary>Creates the exception.</summary>
    public IscsiProtocolException()
        : base("iSCSI protocol error.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public IscsiProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public IscsiProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
