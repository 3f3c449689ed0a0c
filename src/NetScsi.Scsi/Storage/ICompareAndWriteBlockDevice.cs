namespace NetScsi.Scsi.Storage;

/// <summary>
/// A block device that compares and writes atomically itself (COMPARE AND WRITE): no other write to the blocks can
/// come between its compare and its write, so the logical unit need not run the command alone in its task set.
/// </summary>
public interface ICompareAndWriteBlockDevice : IBlockDevice
{
    /// <summary>
    /// True when <see cref="CompareAndWriteAsync"/> does blocks <paramref name="lba"/> .. + <paramref name="blockCount"/>
    /// atomically (a store may only guarantee it within some unit); false leaves the command to the logical unit's
    /// read, compare and write with every other command kept out. Depends on nothing but its arguments.
    /// </summary>
    bool CanCompareAndWrite(long lba, int blockCount);

    /// <summary>
    /// Compares blocks <paramref name="lba"/> .. with <paramref name="compare"/> and, only if they are equal, writes
    /// <paramref name="write"/> (the same length) there, as one atomic operation. Returns -1 when written, else the byte
    /// offset (from the first byte of the range) of the first byte that differs, with nothing written.
    /// </summary>
    ValueTask<long> CompareAndWriteAsync(long lba, ReadOnlyMemory<byte> compare, ReadOnlyMemory<byte> write, bool forceUnitAccess, CancellationToken cancellationToken = default);
}
