using NetScsi.Scsi.Storage;

namespace NetScsi.Scsi.Tests.Emulation;

/// <summary>Test-only in-memory block device: thin (tracks mapped blocks), fault-injectable, counts FUA writes and flushes.</summary>
internal sealed class TestBlockDevice : IBlockDevice
{
    private readonly byte[] _data;
    private readonly bool[] _mapped;

    public TestBlockDevice(long blockCount = 1024, int blockSize = 512, bool thin = true, bool readOnly = false, string identity = "test-device")
    {
        BlockSize = blockSize;
        PhysicalBlockSize = blockSize;
        BlockCount = blockCount;
        SupportsUnmap = thin;
        IsReadOnly = readOnly;
        Identity = identity;
        _data = new byte[blockCount * blockSize];
        _mapped = new bool[blockCount];
        if (!thin)
        {
            Array.Fill(_mapped, true);
        }
    }

    public int BlockSize { get; }

    public int PhysicalBlockSize { get; set; }

    public long BlockCount { get; set; }

    public bool IsReadOnly { get; }

    public bool SupportsUnmap { get; }

    public bool UnmappedReadsZero => true;

    public string Identity { get; }

    public bool FailReads { get; set; }

    public bool FailWrites { get; set; }

    /// <summary>When set, reads throw it (e.g. a <see cref="StorageNotReadyException"/> from a network store).</summary>
    public Exception? ReadException { get; set; }

    /// <summary>Writes fail as a full file system would (ENOSPC).</summary>
    public bool FailWritesOutOfSpace { get; set; }

    public int FuaWrites { get; private set; }

    public int Writes { get; private set; }

    public int Flushes { get; private set; }

    public int Unmaps { get; private set; }

    /// <summary>When set, each read and write awaits it (to hold commands in flight).</summary>
    public TaskCompletionSource? Gate { get; set; }

    public Span<byte> Block(long lba) => _data.AsSpan((int)(lba * BlockSize), BlockSize);

    public bool IsMapped(long lba) => _mapped[lba];

    public void Fill(long lba, long blocks, byte value)
    {
        _data.AsSpan((int)(lba * BlockSize), (int)(blocks * BlockSize)).Fill(value);
        for (long i = lba; i < lba + blocks; i++)
        {
            _mapped[i] = true;
        }
    }

    public async ValueTask ReadAsync(long lba, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Gate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }
        Check(lba, buffer.Length);
        if (FailReads)
        {
            throw new IOException("injected read failure");
        }
        if (ReadException is { } readException)
        {
            throw readException;
        }
        _data.AsSpan((int)(lba * BlockSize), buffer.Length).CopyTo(buffer.Span);
    }

    public async ValueTask WriteAsync(long lba, ReadOnlyMemory<byte> buffer, bool forceUnitAccess, CancellationToken cancellationToken = default)
    {
        if (Gate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }
        Check(lba, buffer.Length);
        if (FailWrites)
        {
            throw new IOException("injected write failure");
        }
        if (FailWritesOutOfSpace)
        {
            throw new IOException("No space left on device", 28);
        }
        buffer.Span.CopyTo(_data.AsSpan((int)(lba * BlockSize)));
        for (long i = lba; i < lba + (buffer.Length / BlockSize); i++)
        {
            _mapped[i] = true;
        }
        Writes++;
        if (forceUnitAccess)
        {
            FuaWrites++;
        }
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        Flushes++;
        return ValueTask.CompletedTask;
    }

    public ValueTask UnmapAsync(long lba, long blockCount, CancellationToken cancellationToken = default)
    {
        Check(lba, blockCount * BlockSize);
        _data.AsSpan((int)(lba * BlockSize), (int)(blockCount * BlockSize)).Clear();
        for (long i = lba; i < lba + blockCount; i++)
        {
            _mapped[i] = false;
        }
        Unmaps++;
        return ValueTask.CompletedTask;
    }

    public ValueTask<AllocationExtent> GetAllocationStatusAsync(long lba, CancellationToken cancellationToken = default)
    {
        bool mapped = _mapped[lba];
        long end = lba + 1;
        while (end < BlockCount && _mapped[end] == mapped)
        {
            end++;
        }
        return ValueTask.FromResult(new AllocationExtent(lba, end - lba, mapped));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void Check(long lba, long bytes)
    {
        if (bytes % BlockSize != 0)
        {
            throw new ArgumentException("buffer is not whole blocks");
        }
        if (lba < 0 || lba * BlockSize + bytes > _data.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(lba));
        }
    }
}
