using System.Buffers.Binary;

namespace NetScsi.Transport.Rdma.Iser;

/// <summary>
/// The iSER HelloReply Message (RFC 7145 §9.4): the target's answer to a Hello, with the version it chose and its
/// iSER-ORD (the RDMA READs it will have outstanding), or, with the reject flag, the highest version it speaks when
/// it speaks none of the initiator's. Pure codec.
/// </summary>
/// <remarks>
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |0 0 1 1| Rsvd|R|MaxVer |CurVer |           iSER-ORD            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                           Reserved                            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </remarks>
public readonly record struct IserHelloReplyMessage(bool Reject, byte MaxVersion, byte CurrentVersion, ushort OutboundRdmaReadDepth)
{
    /// <summary>Bytes of the message.</summary>
    public const int Length = 8;

    /// <summary>The R bit: the target speaks none of the Hello's versions (it closes the connection after this).</summary>
    public const byte RejectFlag = 0x01;

    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException($"An iSER HelloReply needs {Length} bytes.", nameof(destination));
        }

        if (MaxVersion > 0xF || CurrentVersion > 0xF)
        {
            throw new ArgumentOutOfRangeException(nameof(destination), "iSER versions are four-bit fields.");
        }

        destination[0] = (byte)(((byte)IserOpcode.HelloReply << 4) | (Reject ? RejectFlag : 0));
        destination[1] = (byte)((MaxVersion << 4) | CurrentVersion);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], OutboundRdmaReadDepth);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], 0);
    }

    public static IserReadStatus TryRead(ReadOnlySpan<byte> source, out IserHelloReplyMessage reply)
    {
        reply = default;
        if (source.Length < Length)
        {
            return IserReadStatus.TooShort;
        }

        if (IserHeader.OpcodeOf(source[0]) != IserOpcode.HelloReply)
        {
            return IserReadStatus.WrongOpcode;
        }

        reply = new IserHelloReplyMessage(
            (source[0] & RejectFlag) != 0,
            (byte)(source[1] >> 4),
            (byte)(source[1] & 0xF),
            BinaryPrimitives.ReadUInt16BigEndian(source[2..]));
        return IserReadStatus.Ok;
    }
}
