using System.Buffers.Binary;

namespace NetScsi.Transport.Ethernet;

/// <summary>
/// NetScsi's transport header, right after the <see cref="EthernetHeader"/>: which connection a frame belongs to, where
/// its payload sits in that connection's byte stream, and what the sender has received. Pure codec: no I/O.
/// </summary>
/// <remarks>
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  Version (1)  |     Flags     |        Payload Length         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  Destination Connection Id                    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                    Source Connection Id                       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           Sequence Number (stream offset of payload)          |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |       Acknowledgement Number (next stream offset expected)    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  Window (bytes beyond the ack)                |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                     Payload (0 .. MTU - 24)                   |
/// </code>
/// All fields big-endian. The sequence number is the offset (mod 2^32) of the payload's first byte in the sender's
/// stream, so a PDU larger than a frame is cut into frames at any byte and put back together by offset: the
/// fragment offset and the sequence number are one field. The payload length is explicit because Ethernet pads
/// short frames to 60 octets.
/// </remarks>
public readonly record struct FrameHeader
{
    /// <summary>The header's length.</summary>
    public const int Length = 24;

    /// <summary>The protocol version this code speaks.</summary>
    public const byte CurrentVersion = 1;

    /// <summary>The destination connection id of a SYN, which opens a connection the receiver has not numbered yet.</summary>
    public const uint UnassignedConnectionId = 0;

    private const FrameFlags KnownFlags = FrameFlags.Syn | FrameFlags.Ack | FrameFlags.Fin | FrameFlags.Rst | FrameFlags.AckRequest;

    public FrameFlags Flags { get; init; }

    public ushort PayloadLength { get; init; }

    public uint DestinationConnectionId { get; init; }

    public uint SourceConnectionId { get; init; }

    public uint Sequence { get; init; }

    public uint Acknowledgement { get; init; }

    public uint Window { get; init; }

    public bool Has(FrameFlags flag) => (Flags & flag) != 0;

    public void WriteTo(Span<byte> destination)
    {
        destination[0] = CurrentVersion;
        destination[1] = (byte)Flags;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], PayloadLength);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], DestinationConnectionId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], SourceConnectionId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], Sequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], Acknowledgement);
        BinaryPrimitives.WriteUInt32BigEndian(destination[20..], Window);
    }

    /// <summary>
    /// Reads the header at the start of <paramref name="frame"/> (what follows the MAC header) and checks that its
    /// payload lies within the frame; trailing bytes after the payload are Ethernet padding.
    /// </summary>
    public static FrameReadStatus TryRead(ReadOnlySpan<byte> frame, out FrameHeader header)
    {
        header = default;
        if (frame.Length < Length)
        {
            return FrameReadStatus.Truncated;
        }

        if (frame[0] != CurrentVersion)
        {
            return FrameReadStatus.UnknownVersion;
        }

        var flags = (FrameFlags)frame[1];
        if ((flags & ~KnownFlags) != 0
            || ((flags & FrameFlags.Syn) != 0 && (flags & (FrameFlags.Fin | FrameFlags.Rst)) != 0))
        {
            return FrameReadStatus.InvalidFlags;
        }

        ushort payloadLength = BinaryPrimitives.ReadUInt16BigEndian(frame[2..]);
        if (payloadLength > frame.Length - Length)
        {
            return FrameReadStatus.PayloadBeyondFrame;
        }

        header = new FrameHeader
        {
            Flags = flags,
            PayloadLength = payloadLength,
            DestinationConnectionId = BinaryPrimitives.ReadUInt32BigEndian(frame[4..]),
            SourceConnectionId = BinaryPrimitives.ReadUInt32BigEndian(frame[8..]),
            Sequence = BinaryPrimitives.ReadUInt32BigEndian(frame[12..]),
            Acknowledgement = BinaryPrimitives.ReadUInt32BigEndian(frame[16..]),
            Window = BinaryPrimitives.ReadUInt32BigEndian(frame[20..]),
        };
        return FrameReadStatus.Ok;
    }
}
