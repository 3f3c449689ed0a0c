namespace NetScsi.Scsi.Emulation;

/// <summary>SPC-4 §6.16.2 (table 185): persistent reservation TYPE values.</summary>
public enum PersistentReservationType : byte
{
    None = 0x0,
    WriteExclusive = 0x1,
    ExclusiveAccess = 0x3,
    WriteExclusiveRegistrantsOnly = 0x5,
    ExclusiveAccessRegistrantsOnly = 0x6,
    WriteExclusiveAllRegistrants = 0x7,
    ExclusiveAccessAllRegistrants = 0x8,
}
