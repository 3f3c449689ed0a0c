namespace NetScsi.Transport.Aoe;

/// <summary>Why a frame was or was not read; the readers never throw, whatever the bytes.</summary>
public enum AoeReadStatus
{
    /// <summary>Well-formed.</summary>
    Ok,

    /// <summary>Shorter than the header being read.</summary>
    Truncated,

    /// <summary>The EtherType is not 0x88A2.</summary>
    NotAoe,

    /// <summary>An AoE version other than 1; the header's other fields are read, so the request can be answered with <see cref="AoeError.UnsupportedVersion"/>.</summary>
    UnsupportedVersion,

    /// <summary>The Config String Length runs past the end of the frame.</summary>
    ConfigStringBeyondFrame,

    /// <summary>The Config String Length exceeds the 1024 octets AoE r11 §4 allows.</summary>
    ConfigStringTooLong,
}
