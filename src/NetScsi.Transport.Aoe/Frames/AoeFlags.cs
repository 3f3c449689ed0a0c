namespace NetScsi.Transport.Aoe;

/// <summary>The flags nibble of the AoE header (AoE r11 §2: the low four bits of the version/flags octet).</summary>
[Flags]
public enum AoeFlags : byte
{
    None = 0,

    /// <summary>E: the Error field is valid (set only in responses).</summary>
    Error = 0x04,

    /// <summary>R: the frame is a response.</summary>
    Response = 0x08,
}
