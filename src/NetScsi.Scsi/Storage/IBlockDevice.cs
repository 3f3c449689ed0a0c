namespace NetScsi.Scsi.Storage;

/// <summary>
/// Logical unit ⇄ storage seam. Block-addressed, asynchronous, many requests outstanding at once.
/// Buffers are caller-owned (pooled) and their lengths are whole multiples of <see cref="BlockSize"/>.
/// Errors surface as <see cref="IOException"/> (the logical unit turns them into MEDIUM ERROR).
/// </summary>
/// <remarks>
/// Caller bugs are not medium errors: a range outside the device throws <see cref="ArgumentOutOfRangeException"/>
/// and a buffer that is not whole blocks <see cref="ArgumentException"/> (the logical unit checks CDBs first);
/// a write or unmap on a read-only device throws <see cref="InvalidOperationException"/>; any call after
/// disposal throws <see cref="ObjectDisposedException"/>. Concurrent commands to overlapping blocks are not
/// ordered by the device; ordering is the task set's job.
/// </remarks>
public interface IBlockDevice : IAsyncDisposable
{
    /// <summary>Logical block size in bytes (512 or 4096).</summary>
    int BlockSize { get; }

    /// <summary>Number of logical blocks.</summary>
    long BlockCount { get; }

    /// <summary>
    /// The physical block (allocation unit) size in bytes, a power-of-two multiple of <see cref="BlockSize"/>:
    /// writes and unmaps aligned to it avoid read-modify-write or partial deallocation (READ CAPACITY (16)
    /// LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT, VPD B0h unmap granularity). Defaults to <see cref="BlockSize"/>.
    /// </summary>
    int PhysicalBlockSize => BlockSize;

    bool IsReadOnly { get; }

    /// <summary>True when <see cref="UnmapAsync"/> really deallocates (thin provisioning).</summary>
    bool SupportsUnmap { get; }

    /// <summary>True when deallocated blocks read back as zeros (SBC-4 LBPRZ).</summary>
    bool UnmappedReadsZero { get; }

    /// <summary>A stable identity for VPD 0x80/0x83 (e.g. derived from the backing path); the same across restarts.</summary>
    string Identity { get; }

    ValueTask ReadAsync(long lba, Memory<byte> buffer, CancellationToken cancellationToken = default);

    /// <summary>Writes; with <paramref name="forceUnitAccess"/> the data is on stable storage when the call completes.</summary>
    ValueTask WriteAsync(long lba, ReadOnlyMemory<byte> buffer, bool forceUnitAccess, CancellationToken cancellationToken = default);

    /// <summary>Makes every completed write durable (SYNCHRONIZE CACHE).</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken = default);

    /// <summary>Deallocates blocks (hole punching); afterwards they read as zeros when <see cref="UnmappedReadsZero"/>.</summary>
    ValueTask UnmapAsync(long lba, long blockCount, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reports the provisioning status of the extent starting at <paramref name="lba"/>: whether it is
    /// mapped and how many consecutive blocks (≥ 1) share that status (GET LBA STATUS).
    /// </summary>
    /// <remarks>
    /// The extent starts at <paramref name="lba"/> and never runs past the last block. A device may report a
    /// deallocated block as mapped (SBC-4 "mapped or unknown", e.g. when its allocation unit is larger than a
    /// block), never a block holding data as deallocated. The next extent starts at Lba + BlockCount.
    /// </remarks>
    ValueTask<AllocationExtent> GetAllocationStatusAsync(long lba, CancellationToken cancellationToken = default);
}

/// <param name="Lba">First block of the extent.</param>
/// <param name="BlockCount">Number of blocks in the extent, at least 1.</param>
/// <param name="Mapped">True if the blocks are allocated (mapped); false if deallocated.</param>
public readonly record struct AllocationExtent(long Lba, long BlockCount, bool Mapped);
