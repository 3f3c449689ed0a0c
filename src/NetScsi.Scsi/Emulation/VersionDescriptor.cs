namespace NetScsi.Scsi.Emulation;

/// <summary>VERSION DESCRIPTOR values of standard INQUIRY data (SPC-4 §6.6.2, table 143) claimed here.</summary>
internal static class VersionDescriptor
{
    /// <summary>SAM-5 (no version claimed).</summary>
    public const ushort Sam5 = 0x00A0;

    /// <summary>SPC-4 (no version claimed).</summary>
    public const ushort Spc4 = 0x0460;

    /// <summary>SBC-3 (no version claimed).</summary>
    public const ushort Sbc3 = 0x04C0;
}
