namespace NetScsi.Transport.Aoe;

/// <summary>The CCmd nibble of a Query Config Information request (AoE r11 §4.1).</summary>
public enum AoeConfigCommand : byte
{
    /// <summary>Read the config string: every target answers.</summary>
    Read = 0,

    /// <summary>Answer only if the config string equals the request's exactly.</summary>
    Test = 1,

    /// <summary>Answer only if the request's string is a prefix of the config string.</summary>
    TestPrefix = 2,

    /// <summary>Set the config string if it is empty (else error 4 unless it already equals it).</summary>
    Set = 3,

    /// <summary>Set the config string unconditionally.</summary>
    ForceSet = 4,
}
