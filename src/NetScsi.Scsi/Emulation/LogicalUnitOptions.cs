namespace NetScsi.Scsi.Emulation;

/// <summary>How a <see cref="BlockLogicalUnit"/> presents itself (INQUIRY, VPD pages, limits).</summary>
public sealed class LogicalUnitOptions : ScsiLogicalUnitOptions
{
    /// <summary>Default largest transfer per command, in bytes (8 MiB).</summary>
    public const int DefaultMaxTransferBytes = 8 * 1024 * 1024;

    /// <summary>PRODUCT IDENTIFICATION unless set.</summary>
    public const string DefaultProductId = "VIRTUAL-DISK";

    public LogicalUnitOptions()
        : base(DefaultProductId)
    {
    }

    /// <summary>Presents the unit as write protected even if the device is writable.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>RMB: the medium can be ejected (START STOP UNIT with LOEJ).</summary>
    public bool Removable { get; set; }

    /// <summary>MAXIMUM TRANSFER LENGTH in blocks (VPD 0xB0). 0: as many blocks as fit in 8 MiB.</summary>
    public int MaxTransferLengthBlocks { get; set; }

    /// <summary>OPTIMAL TRANSFER LENGTH GRANULARITY in blocks (VPD 0xB0).</summary>
    public ushort OptimalTransferLengthGranularityBlocks { get; set; } = 8;

    /// <summary>
    /// MAXIMUM UNMAP LBA COUNT (VPD 0xB0), used when the device supports unmap. 1 Mi blocks: libiscsi's
    /// block-limits test treats larger explicit limits (other than FFFFFFFFh) as insane.
    /// </summary>
    public uint MaxUnmapLbaCount { get; set; } = 1024 * 1024;

    /// <summary>MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT (VPD 0xB0), used when the device supports unmap.</summary>
    public uint MaxUnmapBlockDescriptorCount { get; set; } = 256;

    /// <summary>MAXIMUM COMPARE AND WRITE LENGTH in blocks (VPD 0xB0), 0..255; 0 disables COMPARE AND WRITE.</summary>
    public byte MaxCompareAndWriteLengthBlocks { get; set; } = 1;

    /// <summary>
    /// MAXIMUM WRITE SAME LENGTH in blocks (VPD 0xB0). 0: the maximum transfer length, which keeps
    /// libiscsi's WRITE SAME tests (they stage the range with one WRITE first) within limits.
    /// </summary>
    public uint MaxWriteSameLengthBlocks { get; set; }

    /// <summary>
    /// Report the device's physical block size (<see cref="Storage.IBlockDevice.PhysicalBlockSize"/>, 4 KiB for
    /// files) as READ CAPACITY (16) LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT and as the VPD B0h optimal unmap
    /// granularity. Off by default: libiscsi 1.19's GetLBAStatus.UnmapSingle then expects the first LBA status
    /// descriptor of GET LBA STATUS at LBA n+1 to start at n+LBPPB, contradicting SBC-4 (it starts at the
    /// requested LBA), so the conformance suite would report a failure that is not ours.
    /// </summary>
    public bool ReportPhysicalBlockSize { get; set; }

    /// <summary>
    /// Bandwidth of SANITIZE OVERWRITE in bytes per second (default 128 MiB/s; 0: unthrottled). A sanitize runs
    /// in the background for minutes on real disks; throttling keeps it from starving the other logical units
    /// that share the backing storage, and REQUEST SENSE reports its progress meanwhile.
    /// </summary>
    public long SanitizeBytesPerSecond { get; set; } = 128L * 1024 * 1024;
}
