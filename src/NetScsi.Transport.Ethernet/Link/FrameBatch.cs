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

    // A frame to send may live in a pinned buffer of its owner's instead of a slot (a response already built where
    // its request was received): the link sends it from there, so it is not copied into the batch.
    private readonly byte[]?[] _external;

    public FrameBatch(int capacity, int frameSize)
    {
        Capacity = capacity;
        FrameSize = frameSize;
        _buffer = GC.AllocateUninitializedArray<byte>(capacity * frameSize, pinned: true);
        _lengths = new int[capacity];
        _external = new byte[capacity][];
    }

    public int Capacity { get; }

    /// <summary>Room for each frame: the link's MTU plus the MAC header.</summary>
    public int FrameSize { get; }

    /// <summary>Frames in the batch.</summary>
    public int Count { get; set; }

    public bool IsFull => Count == Capacity;

    public Span<byte> Slot(int index) => _buffer.AsSpan(index * FrameSize, FrameSize);

    public Span<byte> Frame(int index) => _external[index] is { } external
        ? external.AsSpan(0, _lengths[index])
        : _buffer.AsSpan(index * FrameSize, _lengths[index]);

    public int LengthOf(int index) => _lengths[index];

    /// <summary>The frame of slot <paramref name="index"/> is its first <paramref name="length"/> octets.</summary>
    public void SetLength(int index, int length)
    {
        _lengths[index] = length;
        _external[index] = null;
    }

    /// <summary>
    /// Frame <paramref name="index"/> is the first <paramref name="length"/> octets of <paramref name="pinnedBuffer"/>,
    /// sent from there; the buffer must be pinned and stay untouched until the batch has been sent.
    /// </summary>
    public void SetExternal(int index, byte[] pinnedBuffer, int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Math.Min(pinnedBuffer.Length, FrameSize));
        _lengths[index] = length;
        _external[index] = pinnedBuffer;
    }

    /// <summary>The address of frame <paramref name="index"/>: its slot, or the external buffer it was given.</summary>
    public unsafe byte* Address(int index) => _external[index] is { } external
        ? (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(external))
        : (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffer)) + ((long)index * FrameSize);
}
