using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NetScsi.Transport.Ethernet;

/// <summary>
/// A batch of frame buffers, allocated once and pinned (the packet link points its <c>mmsghdr</c> array at them): what
/// one <c>recvmmsg</c> fills or one <c>sendmmsg</c> sends. Frames include the MAC header.
/// </summary>
internal sealed class FrameBatch
{
    private readonly byte[] _buffer;
    private readonly int[] _lengths;

    public FrameBatch(int capacity, int frameSize)
    {
        Capacity = capacity;
        FrameSize = frameSize;
        _buffer = GC.AllocateUninitializedArray<byte>(capacity * frameSize, pinned: true);
        _lengths = new int[capacity];
    }

    public int Capacity { get; }

    /// <summary>Room for each frame: the link's MTU plus the MAC header.</summary>
    public int FrameSize { get; }

    /// <summary>Frames in the batch.</summary>
    public int Count { get; set; }

    public bool IsFull => Count == Capacity;

    public Span<byte> Slot(int index) => _buffer.AsSpan(index * FrameSize, FrameSize);

    public Span<byte> Frame(int index) => _buffer.AsSpan(index * FrameSize, _lengths[index]);

    public int LengthOf(int index) => _lengths[index];

    public void SetLength(int index, int length) => _lengths[index] = length;

    /// <summary>The address of slot <paramref name="index"/> (the buffer is pinned for its life).</summary>
    public unsafe byte* Address(int index) => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffer)) + ((long)index * FrameSize);
}
