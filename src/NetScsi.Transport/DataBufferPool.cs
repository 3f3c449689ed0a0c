using System.Buffers;

namespace NetScsi.Transport;

/// <summary>
/// Where a connection's task data buffers come from (RFC 5047 Allocate_Task_Resources): the mover owns it, since
/// some movers can only move data in memory they prepared (RDMA needs registered memory). Arrays, so that renting
/// and returning allocate nothing.
/// </summary>
public abstract class DataBufferPool
{
    /// <summary>Buffers from <see cref="ArrayPool{T}.Shared"/>: any byte-stream mover.</summary>
    public static DataBufferPool Shared { get; } = new SharedArrayPool();

    /// <summary>A buffer of at least <paramref name="minimumLength"/> bytes.</summary>
    public abstract byte[] Rent(int minimumLength);

    /// <summary>Gives a buffer from <see cref="Rent"/> back.</summary>
    public abstract void Return(byte[] buffer);

    private sealed class SharedArrayPool : DataBufferPool
    {
        public override byte[] Rent(int minimumLength) => ArrayPool<byte>.Shared.Rent(minimumLength);

        public override void Return(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer);
    }
}
