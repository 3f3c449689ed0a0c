using System.Buffers.Binary;

namespace NetScsi.Transport.Ethernet;

/// <summary>
/// The IEEE 802.3 MAC header as a packet socket (SOCK_RAW) reads and writes it: destination, source, EtherType
/// (no 802.1Q tag: the kernel strips it on receive; we send untagged).
/// </summary>
/// <remarks>
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  Destination MAC (6 octets)                   |
/// +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                               |                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+       Source MAC (6 octets)   +
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |     EtherType (0x88B5)        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </remarks>
public readonly record struct EthernetHeader(MacAddress Destination, MacAddress Source, ushort EtherType)
{
    /// <summary>The MAC header's length.</summary>
    public const int Length = 14;

    /// <summary>IEEE 802 "Local Experimental EtherType 1": ours, with no claim of compatibility with anyone's.</summary>
    public const ushort NetScsiEtherType = 0x88B5;

    /// <summary>The shortest frame a NIC sends (without FCS): shorter frames are padded to it, so lengths come from our header.</summary>
    public const int MinimumFrameLength = 60;

    public void WriteTo(Span<byte> destination)
    {
        Destination.WriteTo(destination);
        Source.WriteTo(destination[MacAddress.Length..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination[12..], EtherType);
    }

    /// <summary>Reads the header; false when the frame is shorter than one.</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out EthernetHeader header)
    {
        if (frame.Length < Length)
        {
            header = default;
            return false;
        }

        header = new EthernetHeader(MacAddress.Read(frame), MacAddress.Read(frame[MacAddress.Length..]), BinaryPrimitives.ReadUInt16BigEndian(frame[12..]));
        return true;
    }
}
