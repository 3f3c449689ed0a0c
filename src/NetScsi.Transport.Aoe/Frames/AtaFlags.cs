namespace NetScsi.Transport.Aoe;

/// <summary>The AFlags octet of an ATA command (AoE r11 §3.1).</summary>
[Flags]
public enum AtaFlags : byte
{
    None = 0,

    /// <summary>W: data flows to the device (a write); the request carries it.</summary>
    Write = 0x01,

    /// <summary>A: asynchronous write: the target may answer before the data is on the medium.</summary>
    Asynchronous = 0x02,

    /// <summary>D: the device/head register's DEV bit.</summary>
    Device = 0x10,

    /// <summary>E: extended (LBA48) command: the six LBA octets and the 48-bit register set are used.</summary>
    Extended = 0x40,
}
