namespace NetScsi.Scsi.Storage;

/// <summary>
/// A thin-provisioned RAM disk. Memory is allocated lazily in 1 MiB chunks on first write, so a large
/// memory LUN costs nothing until written; an unmap that covers a whole chunk frees it.
/// </summary>
/// <remarks>
/// Concurrent reads and writes need no lock: the chunk table is only ever changed by a single reference
/// store (allocation races are settled with <see cref="Interlocked.CompareExchange{T}(ref T, T, T)"/>),
/// and bytes inside a chunk belong to whichever command addresses them. Overlapping concurrent commands
/// get no ordering guarantee, as on a real disk (SAM-5: ordering is the task set's job, through task attributes).
/// </remarks>
public sealed class MemoryBlockDevice : IResizableBlockDevice
{
    // 1 MiB: small enough that a sparse workload stays cheap, large enough that a 1 TiB LUN's table is 8 MiB.
    internal const int ChunkShift = 20;
    internal const int ChunkSize = 1 << ChunkShift;
    private const long ChunkMask = ChunkSize - 1;

    /// <summary>The largest size the chunk table can address (about 2 PiB); a size past it throws.</summary>
    public static long MaxSizeBytes => (long)Array.MaxLength << ChunkShift;

    private readonly byte[]?[] _chunks;
    private readonly long _capacityBytes;
    private readonly int _blockSize;
    private long _sizeBytes;
    private long _blockCount;
    private readonly bool _readOnly;
    private readonly string _identity;
    private int _disposed;

    /// <param name="sizeBytes">Device size; a positive multiple of <paramref name="blockSize"/>.</param>
    /// <param name="blockSize">Logical block size: a power of two from 512 to 64 KiB.</param>
    /// <param name="readOnly">Reject writes and unmaps (the device then reads as zeros throughout).</param>
    /// <param name="identity">A stable name for VPD 0x80/0x83; by default a fresh GUID-based one per instance.</param>
    /// <param name="maxSizeBytes">
    /// How large <see cref="ResizeAsync"/> may make the device (the chunk table is sized for it: 8 bytes per MiB);
    /// null = <paramref name="sizeBytes"/>, no growth.
    /// </param>
    public MemoryBlockDevice(long sizeBytes, int blockSize = 512, bool readOnly = false, string? identity = null, long? maxSizeBytes = null)
    {
        _blockCount = BlockDeviceGuard.ValidateGeometry(sizeBytes, blockSize);
        long capacity = Math.Max(sizeBytes, maxSizeBytes ?? sizeBytes);
        long chunkCount = (capacity + ChunkMask) >> ChunkShift;
        if (chunkCount > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(sizeBytes), sizeBytes, "The memory device is too large.");
        }

        if (identity is not null && string.IsNullOrWhiteSpace(identity))
        {
            throw new ArgumentException("The identity must not be blank.", nameof(identity));
        }

        _chunks = new byte[]?[chunkCount];
        _sizeBytes = sizeBytes;
        _capacityBytes = capacity;
        _blockSize = blockSize;
        _readOnly = readOnly;
        // A memory LUN has no backing path to derive a name from; a GUID keeps two instances apart.
        _identity = identity ?? "mem:" + Guid.NewGuid().ToString("N");
    }

    public int BlockSize => _blockSize;

    public long BlockCount => Volatile.Read(ref _blockCount);

    /// <inheritdoc/>
    public long MaxBlockCount => _capacityBytes / _blockSize;

    public bool IsReadOnly => _readOnly;

    /// <summary>True: an unmap covering a whole 1 MiB chunk releases its memory.</summary>
    public bool SupportsUnmap => true;

    /// <summary>True: never-written and unmapped blocks read back as zeros.</summary>
    public bool UnmappedReadsZero => true;

    public string Identity => _identity;

    /// <summary>Number of 1 MiB chunks currently holding memory (for tests and diagnostics).</summary>
    internal int AllocatedChunkCount
    {
        get
        {
            int count = 0;
            for (int i = 0; i < _chunks.Length; i++)
            {
                if (Volatile.Read(ref _chunks[i]) is not null)
                {
                    count++;
                }
            }

            return count;
        }
    }

    public ValueTask ReadAsync(long lba, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        BlockDeviceGuard.ThrowIfInvalidTransfer(lba, buffer.Length, _blockSize, BlockCount);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        Span<byte> destination = buffer.Span;
        long offset = lba * _blockSize;
        while (!destination.IsEmpty)
        {
            int index = (int)(offset >> ChunkShift);
            int start = (int)(offset & ChunkMask);
            int length = Math.Min(destination.Length, ChunkSize - start);
            byte[]? chunk = Volatile.Read(ref _chunks[index]);
            if (chunk is null)
            {
                destination[..length].Clear();
            }
            else
            {
                chunk.AsSpan(start, length).CopyTo(destination);
            }

            destination = destination[length..];
            offset += length;
        }

        return ValueTask.CompletedTask;
    }

    /// <remarks>RAM is as durable as this device gets, so <paramref name="forceUnitAccess"/> changes nothing.</remarks>
    public ValueTask WriteAsync(long lba, ReadOnlyMemory<byte> buffer, bool forceUnitAccess, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (_readOnly)
        {
            BlockDeviceGuard.ThrowReadOnly();
        }

        BlockDeviceGuard.ThrowIfInvalidTransfer(lba, buffer.Length, _blockSize, BlockCount);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        ReadOnlySpan<byte> source = buffer.Span;
        long offset = lba * _blockSize;
        while (!source.IsEmpty)
        {
            int index = (int)(offset >> ChunkShift);
            int start = (int)(offset & ChunkMask);
            int length = Math.Min(source.Length, ChunkSize - start);
            source[..length].CopyTo(GetOrAllocateChunk(index).AsSpan(start, length));
            source = source[length..];
            offset += length;
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled(cancellationToken) : ValueTask.CompletedTask;
    }

    /// <remarks>
    /// Whole chunks inside the range are released; the ragged ends are zeroed in place. A partially
    /// unmapped chunk is never released afterwards even if it became all zeros: checking and releasing
    /// would race a concurrent write to another part of the chunk and lose it.
    /// </remarks>
    public ValueTask UnmapAsync(long lba, long blockCount, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (_readOnly)
        {
            BlockDeviceGuard.ThrowReadOnly();
        }

        BlockDeviceGuard.ThrowIfInvalidRange(lba, blockCount, BlockCount);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        long offset = lba * _blockSize;
        long remaining = blockCount * _blockSize;
        while (remaining > 0)
        {
            int index = (int)(offset >> ChunkShift);
            int start = (int)(offset & ChunkMask);
            int length = (int)Math.Min(remaining, ChunkSize - start);
            if (start == 0 && length == ChunkLength(index))
            {
                Volatile.Write(ref _chunks[index], null);
            }
            else if (Volatile.Read(ref _chunks[index]) is { } chunk)
            {
                chunk.AsSpan(start, length).Clear();
            }

            offset += length;
            remaining -= length;
        }

        return ValueTask.CompletedTask;
    }

    /// <remarks>
    /// Reported per chunk: a chunk that holds memory is mapped even where parts of it were unmapped. SBC-4
    /// (GET LBA STATUS, provisioning status 0h "mapped or unknown") allows that answer for any block.
    /// </remarks>
    public ValueTask<AllocationExtent> GetAllocationStatusAsync(long lba, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        BlockDeviceGuard.ThrowIfInvalidLba(lba, BlockCount);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<AllocationExtent>(cancellationToken);
        }

        int index = (int)((lba * _blockSize) >> ChunkShift);
        bool mapped = Volatile.Read(ref _chunks[index]) is not null;
        int end = index + 1;
        while (((long)end << ChunkShift) < Volatile.Read(ref _sizeBytes) && (Volatile.Read(ref _chunks[end]) is not null) == mapped)
        {
            end++;
        }

        // Block sizes divide the chunk size, so chunk boundaries are block boundaries.
        long endBlock = Math.Min((long)end << ChunkShift, Volatile.Read(ref _sizeBytes)) / _blockSize;
        return ValueTask.FromResult(new AllocationExtent(lba, endBlock - lba, mapped));
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // Let the memory go now rather than when the last reference to the device does.
            Array.Clear(_chunks);
        }

        return ValueTask.CompletedTask;
    }

    private byte[] GetOrAllocateChunk(int index)
    {
        byte[]? chunk = Volatile.Read(ref _chunks[index]);
        if (chunk is not null)
        {
            return chunk;
        }

        // Two writers may race to allocate; the loser's array is dropped and both use the winner's.
        byte[] fresh = new byte[ChunkLength(index)];
        return Interlocked.CompareExchange(ref _chunks[index], fresh, null) ?? fresh;
    }

    /// <summary>Every chunk is 1 MiB except possibly the last, which only covers what is left of the device.</summary>
    // Chunks are cut from the capacity, not the current size, so growing never has to replace an allocated chunk.
    private int ChunkLength(int index) => (int)Math.Min(ChunkSize, _capacityBytes - ((long)index << ChunkShift));

    /// <inheritdoc/>
    /// <remarks>
    /// Growing only moves the end: the chunk table already covers the capacity. Shrinking releases the chunks past
    /// the new end and zeros the rest of the one it cuts, so a later grow reads zeros there.
    /// </remarks>
    public ValueTask ResizeAsync(long blockCount, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfLessThan(blockCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(blockCount, MaxBlockCount);
        long newSize = blockCount * _blockSize;
        long oldSize = Volatile.Read(ref _sizeBytes);
        Volatile.Write(ref _blockCount, blockCount);
        Volatile.Write(ref _sizeBytes, newSize);
        if (newSize < oldSize)
        {
            int first = (int)(newSize >> ChunkShift);
            int cut = (int)(newSize & ChunkMask);
            if (cut != 0)
            {
                if (Volatile.Read(ref _chunks[first]) is { } partial)
                {
                    partial.AsSpan(cut).Clear();
                }

                first++;
            }

            for (int i = first; i < _chunks.Length; i++)
            {
                Volatile.Write(ref _chunks[i], null);
            }
        }

        return ValueTask.CompletedTask;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
