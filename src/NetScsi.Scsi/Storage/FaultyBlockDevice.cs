namespace NetScsi.Scsi.Storage;

/// <summary>
/// Test wrapper that fails chosen LBA ranges with <see cref="IOException"/>, so the logical unit's
/// MEDIUM ERROR path (SBC-4: UNRECOVERED READ ERROR, WRITE ERROR) can be driven on purpose. SPDK's error
/// bdev is the model. The wrapper owns the inner device and disposes it.
/// </summary>
/// <remarks>
/// Faults can be added and cleared while I/O runs: the fault list is replaced whole (copy on write), so
/// the data path reads it without a lock.
/// </remarks>
public sealed class FaultyBlockDevice : IBlockDevice
{
    private readonly IBlockDevice _inner;
    private readonly Lock _faultsLock = new();
    private Fault[] _faults = [];
    private volatile bool _failFlushes;

    /// <param name="inner">The device whose I/O passes through where no fault is set; disposed with this one.</param>
    public FaultyBlockDevice(IBlockDevice inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
    }

    public int BlockSize => _inner.BlockSize;

    public int PhysicalBlockSize => _inner.PhysicalBlockSize;

    public long BlockCount => _inner.BlockCount;

    public bool IsReadOnly => _inner.IsReadOnly;

    public bool SupportsUnmap => _inner.SupportsUnmap;

    public bool UnmappedReadsZero => _inner.UnmappedReadsZero;

    public string Identity => _inner.Identity;

    /// <summary>When set, <see cref="FlushAsync"/> fails (SYNCHRONIZE CACHE errors).</summary>
    public bool FailFlushes
    {
        get => _failFlushes;
        set => _failFlushes = value;
    }

    /// <summary>Reads touching any of these blocks fail.</summary>
    public void FailReads(long lba, long blockCount = 1) => AddFault(new Fault(lba, blockCount, Reads: true, Writes: false));

    /// <summary>Writes and unmaps touching any of these blocks fail.</summary>
    public void FailWrites(long lba, long blockCount = 1) => AddFault(new Fault(lba, blockCount, Reads: false, Writes: true));

    /// <summary>Removes every fault, including <see cref="FailFlushes"/>.</summary>
    public void ClearFaults()
    {
        lock (_faultsLock)
        {
            Volatile.Write(ref _faults, []);
        }

        _failFlushes = false;
    }

    public ValueTask ReadAsync(long lba, Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        FindFault(lba, buffer.Length / BlockSize, reads: true) is { } bad
            ? ValueTask.FromException(MediumError("read", bad))
            : _inner.ReadAsync(lba, buffer, cancellationToken);

    public ValueTask WriteAsync(long lba, ReadOnlyMemory<byte> buffer, bool forceUnitAccess, CancellationToken cancellationToken = default) =>
        FindFault(lba, buffer.Length / BlockSize, reads: false) is { } bad
            ? ValueTask.FromException(MediumError("write", bad))
            : _inner.WriteAsync(lba, buffer, forceUnitAccess, cancellationToken);

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) =>
        _failFlushes
            ? ValueTask.FromException(new IOException("Injected fault: flush failed."))
            : _inner.FlushAsync(cancellationToken);

    public ValueTask UnmapAsync(long lba, long blockCount, CancellationToken cancellationToken = default) =>
        FindFault(lba, blockCount, reads: false) is { } bad
            ? ValueTask.FromException(MediumError("unmap", bad))
            : _inner.UnmapAsync(lba, blockCount, cancellationToken);

    public ValueTask<AllocationExtent> GetAllocationStatusAsync(long lba, CancellationToken cancellationToken = default) =>
        _inner.GetAllocationStatusAsync(lba, cancellationToken);

    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    private void AddFault(Fault fault)
    {
        if (fault.BlockCount < 1)
        {
            throw new ArgumentOutOfRangeException("blockCount", fault.BlockCount, "A fault covers at least one block.");
        }

        BlockDeviceGuard.ThrowIfInvalidRange(fault.Lba, fault.BlockCount, _inner.BlockCount);
        lock (_faultsLock)
        {
            Volatile.Write(ref _faults, [.. _faults, fault]);
        }
    }

    /// <summary>The first faulty block in [lba, lba + count) for this direction, if any.</summary>
    private long? FindFault(long lba, long count, bool reads)
    {
        long? first = null;
        foreach (Fault fault in Volatile.Read(ref _faults))
        {
            if ((reads ? fault.Reads : fault.Writes) && lba < fault.Lba + fault.BlockCount && fault.Lba < lba + count)
            {
                long bad = Math.Max(lba, fault.Lba);
                first = first is { } known ? Math.Min(known, bad) : bad;
            }
        }

        return first;
    }

    // The LBA goes into the message: the logical unit reports the first failing block in the sense data's
    // INFORMATION field, and a test reader wants it too.
    private static IOException MediumError(string operation, long lba) =>
        new($"Injected medium error: {operation} failed at LBA {lba}.");

    private readonly record struct Fault(long Lba, long BlockCount, bool Reads, bool Writes);
}
