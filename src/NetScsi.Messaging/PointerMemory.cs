using System.Buffers;

namespace NetScsi.Messaging;

/// <summary>
/// A <see cref="Memory{T}"/> over pinned memory (a span pinned by the caller for a blocking call, or a pinned
/// <see cref="Memory{T}"/> of a non-blocking one), reused by its request: no allocation per message.
/// </summary>
internal sealed unsafe class PointerMemory : MemoryManager<byte>
{
    private byte* _pointer;
    private int _length;

    public void Set(byte* pointer, int length)
    {
        _pointer = pointer;
        _length = length;
    }

    public int Length => _length;

    public byte* Pointer => _pointer;

    public override Span<byte> GetSpan() => new(_pointer, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
