namespace NetScsi.Transport.Aoe.Ata;

/// <summary>The ATA Status register (ACS-3 §6.2). The Linux aoe driver fails an I/O whose status has BSY, DF, DRQ or ERR.</summary>
[Flags]
public enum AtaStatus : byte
{
    None = 0,

    /// <summary>ERR: the Error register says what went wrong.</summary>
    Error = 0x01,

    /// <summary>DRQ: data request.</summary>
    DataRequest = 0x08,

    /// <summary>DF: device fault.</summary>
    DeviceFault = 0x20,

    /// <summary>DRDY: device ready.</summary>
    DeviceReady = 0x40,

    /// <summary>BSY: busy.</summary>
    Busy = 0x80,
}
