namespace NetScsi.Iscsi.Text;

/// <summary>How a key's value is written (RFC 7143 §6.1).</summary>
public enum TextKeyValueType
{
    /// <summary>Free text (names, addresses).</summary>
    Text,

    /// <summary>list-of-values; the responder picks one (RFC 7143 §6.2.1).</summary>
    List,

    /// <summary>numerical-value, bounded by the key's range.</summary>
    Numeric,

    /// <summary>boolean-value: Yes or No.</summary>
    Boolean,

    /// <summary>Binary (CHAP_C, CHAP_R): hex or base64 constant.</summary>
    Binary,
}

/// <summary>How the negotiation result is computed (RFC 7143 §6.2).</summary>
public enum TextKeyResultFunction
{
    /// <summary>Declarative: the sender states a value; no answer is due.</summary>
    Declarative,

    /// <summary>The responder picks the first value of the offerer's list it supports (§6.2.1).</summary>
    ListFirst,

    /// <summary>Boolean OR (§6.2.2).</summary>
    Or,

    /// <summary>Boolean AND (§6.2.2).</summary>
    And,

    /// <summary>Numeric minimum (§6.2.2).</summary>
    Min,

    /// <summary>Numeric maximum (§6.2.2).</summary>
    Max,

    /// <summary>
    /// Numeric minimum where 0 means "no limit" (RFC 7145 §6.7, MaxOutstandingUnexpectedPDUs): the smaller of two
    /// non-zero values, the other value when one side says 0, 0 when both do.
    /// </summary>
    MinOrZero,

    /// <summary>Handled by a dedicated protocol (CHAP, SendTargets), not by a result function.</summary>
    Special,
}

/// <summary>When a key may be sent (the "Use" line of RFC 7143 §13).</summary>
public enum TextKeyUse
{
    /// <summary>IO: only during login (initialize only).</summary>
    LoginOnly,

    /// <summary>LO: only during the login of the leading connection of a session.</summary>
    LeadingOnly,

    /// <summary>FFPO: only in Text requests during full-feature phase.</summary>
    FullFeatureOnly,

    /// <summary>ALL: during login and in full-feature phase.</summary>
    All,
}

/// <summary>Which login stage a key belongs to (RFC 7143 §6.3).</summary>
public enum TextKeyStage
{
    /// <summary>Declarations allowed in any stage (names, aliases, SessionType).</summary>
    Any,

    /// <summary>SecurityNegotiation (CSG 0) only: AuthMethod and the authentication keys (§6.3.2, §12).</summary>
    Security,

    /// <summary>LoginOperationalNegotiation (CSG 1) only (§6.3.3).</summary>
    Operational,
}

/// <summary>Who may send a key (the "Senders" line of RFC 7143 §13).</summary>
public enum TextKeySenders
{
    Initiator,
    Target,
    Both,
}

/// <summary>Whether the value applies to the session or to one connection ("Scope": SW or CO).</summary>
public enum TextKeyScope
{
    Session,
    Connection,
}
