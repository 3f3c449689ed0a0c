namespace NetScsi.Scsi.Storage;

/// <summary>
/// Test and diagnostic wrapper that adds latency to another device's reads and writes, as SPDK's delay
/// bdev does: to exercise timeouts, task management (ABORT TASK) and queue depth against a slow disk.
/// </summary>
/// <remarks>
/// The I/O runs first and its completion is held back, so a delayed command behaves like one the disk
/// has done but not yet reported. Flush, unmap and allocation status pass straight through. The
/// wrapper owns the inner device and disposes it.
/// </remarks>
public sealed class DelayBlockDevice : IBlockDevice
{
    private readonly IBlockDevice _inner;
    private readonly TimeProvider _timeProvider;
    private long _readDelayTicks;
    private long _writeDelayTicks;

    /// <param name="inner">The device to slow down; disposed with this one.</param>
    /// <param name="readDelay">Latency added to every read.</param>
    /// <param name="writeDelay">Latency added to every write.</param>
    /// <param name="timeProvider">Clock for the delays; <see cref="TimeProvider.System"/> by default, a fake one in tests.</param>
    public DelayBlockDevice(IBlockDevice inner, TimeSpan readDelay = default, TimeSpan writeDelay = default, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _timeProvider = timeProvider ?? TimeProvider.System;
        ReadDelay = readDelay;
        WriteDelay = writeDelay;
    }

    /// <summary>Latency added to each read; may be changed while I/O is running (applies to reads started afterwards).</summary>
    public TimeSpan ReadDelay
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _readDelayTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            Volatile.Write(ref _readDelayTicks, value.Ticks);
        }
    }

    /// <summary>Latency added to each write; may be changed while I/O is running (applies to writes started afterwards).</summary>
    public TimeSpan WriteDelay
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _writeDelayTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            Volatile.Write(ref _writeDelayTicks, value.Ticks);
        }
    }

    public int BlockSize => _inner.BlockSize;

    public int PhysicalBlockSize => _inner.PhysicalBlockSize;

    public long BlockCount => _inner.BlockCount;

    public bool IsReadOnly => _inner.IsReadOnly;

    public bool SupportsUnmap => _inner.SupportsUnmap;

    public bool UnmappedReadsZero => _inner.UnmappedReadsZero;

    public string Identity => _inner.Identity;

    public ValueTask ReadAsync(long lba, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ValueTask read = _inner.ReadAsync(lba, buffer, cancellationToken);
        TimeSpan delay = ReadDelay;
        return delay == TimeSpan.Zero ? read : CompleteLaterAsync(read, delay, cancellationToken);
    }

    public ValueTask WriteAsync(long lba, ReadOnlyMemory<byte> buffer, bool forceUnitAccess, CancellationToken cancellationToken = default)
    {
        ValueTask write = _inner.WriteAsync(lba, buffer, forceUnitAccess, cancellationToken);
        TimeSpan delay = WriteDelay;
        return delay == TimeSpan.Zero ? write : CompleteLaterAsync(write, delay, cancellationToken);
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => _inner.FlushAsync(cancellationToken);

    public ValueTask UnmapAsync(long lba, long blockCount, CancellationToken cancellationToken = default) =>
        _inner.UnmapAsync(lba, blockCount, cancellationToken);

    public ValueTask<AllocationExtent> GetAllocationStatusAsync(long lba, CancellationToken cancellationToken = default) =>
        _inner.GetAllocationStatusAsync(lba, cancellationToken);

    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    private async ValueTask CompleteLaterAsync(ValueTask operation, TimeSpan delay, CancellationToken cancellationToken)
    {
        await operation.ConfigureAwait(false);
        await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
    }
}
