using System.Buffers;
using System.Runtime.InteropServices;

namespace NetScsi.Transport.Rdma.Memory;

/// <summary>
/// A mover-owned pool of registered buffers (RFC 5047 Allocate_Connection_Resources for RDMA): one native slab, page
/// aligned, registered once, cut into equal buffers. Renting and returning take a lock and allocate nothing, so the
/// per-command path stays allocation-free; what is outstanding is counted, so a torn-down connection can prove it
/// leaked nothing.
/// </summary>
public sealed unsafe class RegisteredBufferPool : IDisposable
{
    /// <summary>Slab alignment: a page, so registrations cover whole pages.</summary>
    public const int Alignment = 4096;

    private readonly IRdmaMemoryRegistrar _registrar;
    private readonly Lock _lock = new();
    private readonly int[] _free;
    private readonly bool[] _rented;
    private readonly NativeBufferManager[] _managers;
    private readonly byte* _slab;
    private readonly RdmaMemoryRegion _region;
    private int _freeCount;
    private bool _disposed;

    /// <param name="registrar">The protection domain to register with.</param>
    /// <param name="bufferLength">Bytes per buffer (rounded up to a multiple of 64, a cache line).</param>
    /// <param name="count">Buffers in the pool.</param>
    public RegisteredBufferPool(IRdmaMemoryRegistrar registrar, int bufferLength, int count)
    {
        ArgumentNullException.ThrowIfNull(registrar);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        BufferLength = (bufferLength + 63) & ~63;
        long total = (long)BufferLength * count;
        if (total > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"{count} buffers of {BufferLength} bytes exceed 2 GiB.");
        }

        _registrar = registrar;
        Count = count;
        _slab = (byte*)NativeMemory.AlignedAlloc((nuint)total, Alignment);
        try
        {
            _region = registrar.Register((nint)_slab, (nuint)total);
        }
        catch
        {
            NativeMemory.AlignedFree(_slab);
            throw;
        }

        _free = new int[count];
        _rented = new bool[count];
        _managers = new NativeBufferManager[count];
        for (int i = 0; i < count; i++)
        {
            _free[i] = count - 1 - i; // rent from index 0 up
            _managers[i] = new NativeBufferManager(_slab + ((long)i * BufferLength), BufferLength);
        }

        _freeCount = count;
    }

    /// <summary>Bytes per buffer.</summary>
    public int BufferLength { get; }

    /// <summary>Buffers in the pool.</summary>
    public int Count { get; }

    /// <summary>The registration covering every buffer.</summary>
    public RdmaMemoryRegion Region => _region;

    /// <summary>Buffers rented and not returned.</summary>
    public int Outstanding
    {
        get
        {
            lock (_lock)
            {
                return Count - _freeCount;
            }
        }
    }

    /// <summary>Takes a free buffer; false when all are out (the caller waits for a completion to return one).</summary>
    public bool TryRent(out RegisteredBuffer buffer)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_freeCount == 0)
            {
                buffer = default;
                return false;
            }

            int index = _free[--_freeCount];
            _rented[index] = true;
            buffer = Make(index);
            return true;
        }
    }

    /// <summary>Gives a buffer back. Returning one twice, or one of another pool, is a bug and throws.</summary>
    public void Return(in RegisteredBuffer buffer)
    {
        lock (_lock)
        {
            if (buffer.Address != (nint)(_slab + ((long)buffer.Index * BufferLength)) || (uint)buffer.Index >= (uint)Count)
            {
                throw new ArgumentException("The buffer is not from this pool.", nameof(buffer));
            }

            if (!_rented[buffer.Index])
            {
                throw new InvalidOperationException($"Buffer {buffer.Index} was returned twice.");
            }

            _rented[buffer.Index] = false;
            _free[_freeCount++] = buffer.Index;
        }
    }

    /// <summary>The buffer at <paramref name="index"/> (for completions, which carry the index in their work request id).</summary>
    public RegisteredBuffer this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            return Make(index);
        }
    }

    internal Memory<byte> MemoryOf(int index) => _managers[index].Memory;

    /// <summary>
    /// Deregisters and frees the slab. Call it only when no work request can still touch a buffer (the queue pair is
    /// destroyed or flushed): the device may otherwise write into freed memory.
    /// </summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _registrar.Deregister(_region);
        NativeMemory.AlignedFree(_slab);
    }

    private RegisteredBuffer Make(int index) =>
        new(this, index, (nint)(_slab + ((long)index * BufferLength)), BufferLength, _region.LocalKey, _region.RemoteKey);

    /// <summary>Native memory as <see cref="Memory{T}"/>; one per buffer, made with the pool.</summary>
    private sealed class NativeBufferManager(byte* pointer, int length) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => new(pointer, length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
