namespace NetScsi.Iscsi.Text;

/// <summary>Why a text data segment could not be parsed (RFC 7143 §6.1).</summary>
public enum TextParseStatus
{
    Ok,

    /// <summary>A pair has no '=' separator.</summary>
    MissingEquals,

    /// <summary>A pair starts with '=' (empty key name).</summary>
    EmptyKey,

    /// <summary>RFC 7143 §6.1: key names MUST NOT exceed 63 bytes.</summary>
    KeyTooLong,

    /// <summary>A key name contains a character outside RFC 7143 §6.1's key-name set.</summary>
    InvalidKey,

    /// <summary>A value exceeds the parser's limit.</summary>
    ValueTooLong,

    /// <summary>Key or value is not valid UTF-8.</summary>
    InvalidUtf8,

    /// <summary>RFC 7143 §6.2: a key appears more than once.</summary>
    DuplicateKey,

    /// <summary>The last pair is not terminated by a NUL byte.</summary>
    NotTerminated,

    /// <summary>The whole text exceeds the accumulation bound.</summary>
    TooLarge,
}
