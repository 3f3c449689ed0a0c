namespace NetScsi.Scsi.Storage;

/// <summary>
/// A block device that writes one block's data over a range itself (WRITE SAME without UNMAP), instead of the
/// logical unit staging the pattern in a buffer and writing it chunk by chunk.
/// </summary>
public interface IWriteSameBlockDevice : IBlockDevice
{
    /// <summary>
    /// Writes <paramref name="block"/> (exactly one block) to each of blocks <paramref name="lba"/> .. +
    /// <paramref name="blockCount"/>; with <paramref name="forceUnitAccess"/> the data is on stable storage when the
    /// call completes. Range, read-only and disposal errors as <see cref="IBlockDevice.WriteAsync"/>.
    /// </summary>
    ValueTask WriteSameAsync(long lba, long blockCount, ReadOnlyMemory<byte> block, bool forceUnitAccess, CancellationToken cancellationToken = default);
}
