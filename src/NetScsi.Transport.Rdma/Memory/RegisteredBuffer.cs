namespace NetScsi.Transport.Rdma.Memory;

/// <summary>
/// One buffer of a <see cref="RegisteredBufferPool"/>: native, registered, never moved. Work requests name it by
/// <see cref="Address"/> and <see cref="LocalKey"/>; a peer by <see cref="RemoteKey"/> and <see cref="Address"/>.
/// </summary>
public readonly struct RegisteredBuffer
{
    private readonly RegisteredBufferPool? _pool;

    internal RegisteredBuffer(RegisteredBufferPool pool, int index, nint address, int length, uint localKey, uint remoteKey)
    {
        _pool = pool;
        Index = index;
        Address = address;
        Length = length;
        LocalKey = localKey;
        RemoteKey = remoteKey;
    }

    /// <summary>The buffer's slot in its pool (also its work request id's low bits).</summary>
    public int Index { get; }

    /// <summary>Its virtual address: the iSER base offset (no zero-based addressing on InfiniBand/RoCE).</summary>
    public nint Address { get; }

    public int Length { get; }

    public uint LocalKey { get; }

    public uint RemoteKey { get; }

    public bool IsValid => _pool is not null;

    /// <summary>The bytes (valid until returned).</summary>
    public unsafe Span<byte> Span => new((void*)Address, Length);

    /// <summary>The bytes as <see cref="Memory{T}"/>, through a manager the pool made once per buffer (no allocation here).</summary>
    public Memory<byte> Memory => _pool!.MemoryOf(Index);
}
