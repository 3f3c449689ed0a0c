using System.Runtime.CompilerServices;

namespace NetScsi.Messaging;

/// <summary>What a completed receive (or a probe) found: MPI_Status.</summary>
/// <param name="Source">The sender's rank in the communicator.</param>
/// <param name="Tag">The message's tag.</param>
/// <param name="ByteCount">The message's length in bytes.</param>
public readonly record struct Status(int Source, int Tag, int ByteCount)
{
    /// <summary>The message's length in elements of <typeparamref name="T"/> (MPI_Get_count).</summary>
    public int Count<T>()
        where T : unmanaged => ByteCount / Unsafe.SizeOf<T>();
}
