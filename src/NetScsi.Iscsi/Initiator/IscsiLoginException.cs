using NetScsi.Iscsi.Login;

namespace NetScsi.Iscsi.Initiator;

/// <summary>
/// A login failed: the target answered status class 2 (initiator error) or 3 (target error)
/// (RFC 7143 §11.13.5), or the initiator refused the target (mutual CHAP, bad negotiation answer).
/// </summary>
public class IscsiLoginException : Exception
{
    /// <summary>Creates the exception for a login status.</summary>
    /// <param name="status">The Status-Class/Status-Detail pair; for failures detected by the initiator, the closest code.</param>
    /// <param name="message">What happened.</param>
    public IscsiLoginException(LoginStatusCode status, string message)
        : base(message)
    {
        Status = status;
    }

    /// <summary>Creates an exception with no specific status (<see cref="LoginStatusCode.InitiatorError"/>).</summary>
    public IscsiLoginException()
        : this(LoginStatusCode.InitiatorError, "iSCSI login failed.")
    {
    }

    /// <summary>Creates an exception with <see cref="LoginStatusCode.InitiatorError"/> and a message.</summary>
    /// <param name="message">What happened.</param>
    public IscsiLoginException(string message)
        : this(LoginStatusCode.InitiatorError, message)
    {
    }

    /// <summary>Creates an exception with <see cref="LoginStatusCode.InitiatorError"/>, a message and a cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public IscsiLoginException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = LoginStatusCode.InitiatorError;
    }

    /// <summary>The login status (class in the high byte, detail in the low byte).</summary>
    public LoginStatusCode Status { get; }

    /// <summary>Status-Class: 1 redirect, 2 initiator error, 3 target error.</summary>
    public byte StatusClass => (byte)((ushort)Status >> 8);

    /// <summary>True when the target reported the failure (rather than the initiator refusing the target).</summary>
    public bool ReportedByTarget { get; init; }

    /// <summary>
    /// True when retrying the same login cannot help (authentication, authorization, unknown target):
    /// status class 2. Class 3 (target error) may be temporary.
    /// </summary>
    public bool IsPermanent => StatusClass == 2;
}
