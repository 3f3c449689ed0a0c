using System.Buffers.Binary;

namespace NetScsi.Transport.Rdma.Iser;

/// <summary>
/// The iSER Hello Message (RFC 7145 §9.3): in iWARP mode the initiator's first SEND, with the iSER versions it
/// speaks and its iSER-IRD (the RDMA READs it can answer at once). InfiniBand and RoCE peers (Linux's ib_iser and
/// isert) exchange no Hello: they agree through the CM private data (<see cref="IserCmPrivateData"/>). Pure codec.
/// </summary>
/// <remarks>
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |0 0 1 0|  Rsvd |MaxVer |MinVer |           iSER-IRD            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                           Reserved                            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </remarks>
public readonly record struct IserHelloMessage(byte MaxVersion, byte MinVersion, ushort InboundRdmaReadDepth)
{
    /// <summary>Bytes of the message.</summary>
    public const int Length = 8;

    /// <summary>The iSER version RFC 7145 defines.</summary>
    public const byte CurrentVersion = 1;

    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException($"An iSER Hello needs {Length} bytes.", nameof(destination));
        }

        if (MaxVersion > 0xF || MinVersion > 0xF)
        {
            throw new ArgumentOutOfRangeException(nameof(destination), "iSER versions are four-bit fields.");
        }

        destination[0] = (byte)IserOpcode.Hello << 4;
        destination[1] = (byte)((MaxVersion << 4) | MinVersion);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], InboundRdmaReadDepth);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], 0);
    }

    public static IserReadStatus TryRead(ReadOnlySpan<byte> source, out IserHelloMessage hello)
    {
        hello = default;
        if (source.Length < Length)
        {
            return IserReadStatus.TooShort;
        }

        if (IserHeader.OpcodeOf(source[0]) != IserOpcode.Hello)
        {
            return IserReadStatus.WrongOpcode;
        }

        hello = new IserHelloMessage((byte)(source[1] >> 4), (byte)(source[1] & 0xF), BinaryPrimitives.ReadUInt16BigEndian(source[2..]));
        return IserReadStatus.Ok;
    }
}
