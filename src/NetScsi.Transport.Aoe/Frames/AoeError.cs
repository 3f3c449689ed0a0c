namespace NetScsi.Transport.Aoe;

/// <summary>The AoE header's Error field, valid when <see cref="AoeFlags.Error"/> is set (AoE r11 §2).</summary>
public enum AoeError : byte
{
    None = 0,

    /// <summary>Unrecognized command code.</summary>
    UnrecognizedCommand = 1,

    /// <summary>Bad argument parameter (for an ATA command: a transfer the frame cannot carry).</summary>
    BadArgument = 2,

    /// <summary>Device unavailable.</summary>
    DeviceUnavailable = 3,

    /// <summary>Config string present: a Set Config on a target whose string is already set and differs.</summary>
    ConfigStringPresent = 4,

    /// <summary>Unsupported version.</summary>
    UnsupportedVersion = 5,

    /// <summary>Target is reserved (Reserve/Release, r11 §6).</summary>
    TargetReserved = 6,
}
