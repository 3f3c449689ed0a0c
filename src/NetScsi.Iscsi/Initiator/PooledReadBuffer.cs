using System.Buffers;

namespace NetScsi.Iscsi.Initiator;

/// <summary>
/// The data of <see cref="IscsiSession.ReadPooledAsync"/>: an array the session rented from
/// <see cref="ArrayPool{T}.Shared"/> when the data arrived. Dispose it exactly once when done with the data,
/// which gives the array back; do not use <see cref="Memory"/> afterwards, and do not dispose copies of it.
/// </summary>
public readonly struct PooledReadBuffer : IDisposable
{
    private readonly byte[]? _array;
    private readonly int _length;

    internal PooledReadBuffer(byte[]? array, int length)
    {
        _array = array;
        _length = array is null ? 0 : length;
    }

    /// <summary>The bytes the target sent: all that were asked for, or fewer when it reported an underflow.</summary>
    public Memory<byte> Memory => _array.AsMemory(0, _length);

    /// <summary>The same bytes as a span.</summary>
    public Span<byte> Span => _array.AsSpan(0, _length);

    /// <summary>Number of bytes in <see cref="Memory"/>.</summary>
    public int Length => _length;

    /// <summary>Gives the array back to the pool.</summary>
    public void Dispose()
    {
        if (_array is not null)
        {
            ArrayPool<byte>.Shared.Return(_array);
        }
    }
}
