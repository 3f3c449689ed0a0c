using System.Buffers.Binary;

namespace NetScsi.Messaging;

/// <summary>What a wire message is (byte 0 of the envelope).</summary>
internal enum EnvelopeKind : byte
{
    /// <summary>An eager message: the payload follows the envelope in the same SEND MESSAGE(10).</summary>
    Eager = 1,

    /// <summary>A rendezvous announcement: the payload waits at the sender under <see cref="Envelope.Handle"/>.</summary>
    Announce = 2,

    /// <summary>The receiver will not pull the announced payload (it truncated the message): the send is over.</summary>
    Release = 3,
}

/// <summary>
/// The fixed 32-byte header of every message (big-endian): byte 0 kind, bytes 1-3 reserved, 4-7 context id, 8-11
/// source (world rank), 12-15 tag, 16-19 payload length, 20-23 sequence number (per sender and receiver, for MPI's
/// non-overtaking order), 24-27 handle (announcements and releases), 28-31 reserved. A codec with no I/O.
/// </summary>
internal readonly record struct Envelope(EnvelopeKind Kind, int Context, int Source, int Tag, int Length, uint Sequence, uint Handle)
{
    public const int Size = 32;

    public void WriteTo(Span<byte> destination)
    {
        Span<byte> d = destination[..Size];
        d.Clear();
        d[0] = (byte)Kind;
        BinaryPrimitives.WriteInt32BigEndian(d[4..], Context);
        BinaryPrimitives.WriteInt32BigEndian(d[8..], Source);
        BinaryPrimitives.WriteInt32BigEndian(d[12..], Tag);
        BinaryPrimitives.WriteInt32BigEndian(d[16..], Length);
        BinaryPrimitives.WriteUInt32BigEndian(d[20..], Sequence);
        BinaryPrimitives.WriteUInt32BigEndian(d[24..], Handle);
    }

    /// <summary>False for a short buffer, an unknown kind, a negative length or source.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out Envelope envelope)
    {
        envelope = default;
        if (source.Length < Size || source[0] is < (byte)EnvelopeKind.Eager or > (byte)EnvelopeKind.Release)
        {
            return false;
        }
        envelope = new Envelope(
            (EnvelopeKind)source[0],
            BinaryPrimitives.ReadInt32BigEndian(source[4..]),
            BinaryPrimitives.ReadInt32BigEndian(source[8..]),
            BinaryPrimitives.ReadInt32BigEndian(source[12..]),
            BinaryPrimitives.ReadInt32BigEndian(source[16..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[20..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[24..]));
        return envelope.Length >= 0 && envelope.Source >= 0;
    }
}
