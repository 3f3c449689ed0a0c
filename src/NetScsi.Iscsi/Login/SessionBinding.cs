using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Session;

namespace NetScsi.Iscsi.Login;

/// <summary>
/// Handed to the engine just before the final login response, once authentication and negotiation
/// succeeded: the engine creates the session (TSIH 0, RFC 7143 §6.3.1), reinstates it (same ISID,
/// TSIH 0, §6.3.5) or adds the connection to an existing one (TSIH ≠ 0).
/// </summary>
/// <param name="Isid">48-bit ISID.</param>
/// <param name="Tsih">The request's TSIH: 0 asks for a new session (or reinstatement of one with this ISID).</param>
/// <param name="Cid">Connection ID.</param>
/// <param name="InitiatorName">The initiator's declared name.</param>
/// <param name="Target">The target logged into; null for discovery.</param>
/// <param name="Acl">The ACL entry that admitted the initiator; null when the target has no ACLs.</param>
/// <param name="SessionType">Normal or Discovery.</param>
/// <param name="Parameters">The negotiated values; the engine may copy session-wide values into it for a non-leading connection.</param>
public sealed record SessionBindingRequest(
    ulong Isid,
    ushort Tsih,
    ushort Cid,
    string InitiatorName,
    TargetDefinition? Target,
    InitiatorAcl? Acl,
    SessionType SessionType,
    IscsiSessionParameters Parameters)
{
    /// <summary>TSIH 0: the initiator asks for a new session (RFC 7143 §6.3.1).</summary>
    public bool IsNewSession => Tsih == 0;
}

/// <summary>The engine's answer to a <see cref="SessionBindingRequest"/>.</summary>
/// <param name="Tsih">The session's TSIH for the final login response.</param>
/// <param name="Status">Success, or why the login fails (e.g. <see cref="LoginStatusCode.SessionDoesNotExist"/>).</param>
public readonly record struct SessionBinding(ushort Tsih, LoginStatusCode Status = LoginStatusCode.Success)
{
    public static SessionBinding Accept(ushort tsih) => new(tsih);

    public static SessionBinding Refuse(LoginStatusCode status) => new(0, status);
}
