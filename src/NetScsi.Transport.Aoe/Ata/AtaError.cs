namespace NetScsi.Transport.Aoe.Ata;

/// <summary>The ATA Error register (ACS-3 §6.3), valid when the status has <see cref="AtaStatus.Error"/>.</summary>
[Flags]
public enum AtaError : byte
{
    None = 0,

    /// <summary>ABRT: command aborted (not supported, a bad parameter, or it could not be completed).</summary>
    Abort = 0x04,

    /// <summary>IDNF: ID not found: the addressed sectors are not on the device.</summary>
    IdNotFound = 0x10,

    /// <summary>UNC: uncorrectable data error (a read the medium could not deliver).</summary>
    Uncorrectable = 0x40,
}
