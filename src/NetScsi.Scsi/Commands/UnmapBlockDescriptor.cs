namespace NetScsi.Scsi.Commands;

/// <summary>One UNMAP block descriptor (SBC-4 §5.30.2): UNMAP LOGICAL BLOCK ADDRESS and NUMBER OF LOGICAL BLOCKS.</summary>
public readonly record struct UnmapBlockDescriptor(ulong Lba, uint Blocks);
