using System.Buffers.Binary;
using NetScsi.Transport.Ethernet;

namespace NetScsi.Transport.Aoe;

/// <summary>
/// The AoE header (AoE r11 §2), Ethernet header included as the specification draws it. Pure codec: no I/O.
/// </summary>
/// <remarks>
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  Ethernet Destination Address                 |
/// +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                               |                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+   Ethernet Source Address     +
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |       Ethernet Type (0x88A2)  | Ver(1)| Flags |     Error     |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           Major (shelf)       |  Minor (slot) |    Command    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                              Tag                              |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                              Arg                              |
/// </code>
/// Big-endian. Flags: R (0x8) response, E (0x4) error. Major 0xFFFF and minor 0xFF address every shelf and slot. The
/// tag is the initiator's and comes back unchanged. Ethernet pads short frames to 60 octets but taps and veth do not,
/// and the Linux driver's discovery query is 32 octets: nothing here requires more than the header.
/// </remarks>
public readonly record struct AoeHeader
{
    /// <summary>The header's length, Ethernet header included.</summary>
    public const int Length = 24;

    /// <summary>IEEE-assigned EtherType of AoE.</summary>
    public const ushort EtherType = 0x88A2;

    /// <summary>The only AoE version there is (r11 §2), in the high nibble of octet 14.</summary>
    public const byte CurrentVersion = 1;

    /// <summary>Major address meaning every shelf.</summary>
    public const ushort BroadcastMajor = 0xFFFF;

    /// <summary>Minor address meaning every slot.</summary>
    public const byte BroadcastMinor = 0xFF;

    public MacAddress Destination { get; init; }

    public MacAddress Source { get; init; }

    /// <summary>The version nibble as received (<see cref="CurrentVersion"/> in everything we write).</summary>
    public byte Version { get; init; }

    public AoeFlags Flags { get; init; }

    public AoeError Error { get; init; }

    /// <summary>The shelf address.</summary>
    public ushort Major { get; init; }

    /// <summary>The slot address.</summary>
    public byte Minor { get; init; }

    public AoeCommand Command { get; init; }

    public uint Tag { get; init; }

    public bool IsResponse => (Flags & AoeFlags.Response) != 0;

    /// <summary>True when the header addresses shelf <paramref name="major"/>, slot <paramref name="minor"/> directly or by broadcast.</summary>
    public bool Addresses(ushort major, byte minor) =>
        (Major == major || Major == BroadcastMajor) && (Minor == minor || Minor == BroadcastMinor);

    /// <summary>Writes the 24 octets; the version written is always <see cref="CurrentVersion"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        Destination.WriteTo(destination);
        Source.WriteTo(destination[MacAddress.Length..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination[12..], EtherType);
        destination[14] = (byte)((CurrentVersion << 4) | ((byte)Flags & 0x0F));
        destination[15] = (byte)Error;
        BinaryPrimitives.WriteUInt16BigEndian(destination[16..], Major);
        destination[18] = Minor;
        destination[19] = (byte)Command;
        BinaryPrimitives.WriteUInt32BigEndian(destination[20..], Tag);
    }

    /// <summary>
    /// Reads the header at the start of <paramref name="frame"/>. <see cref="AoeReadStatus.UnsupportedVersion"/> still
    /// fills <paramref name="header"/> (the request deserves an answer); <see cref="AoeReadStatus.Truncated"/> and
    /// <see cref="AoeReadStatus.NotAoe"/> leave it default.
    /// </summary>
    public static AoeReadStatus TryRead(ReadOnlySpan<byte> frame, out AoeHeader header)
    {
        header = default;
        if (frame.Length < Length)
        {
            return AoeReadStatus.Truncated;
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != EtherType)
        {
            return AoeReadStatus.NotAoe;
        }

        header = new AoeHeader
        {
            Destination = MacAddress.Read(frame),
            Source = MacAddress.Read(frame[MacAddress.Length..]),
            Version = (byte)(frame[14] >> 4),
            Flags = (AoeFlags)(frame[14] & 0x0F),
            Error = (AoeError)frame[15],
            Major = BinaryPrimitives.ReadUInt16BigEndian(frame[16..]),
            Minor = frame[18],
            Command = (AoeCommand)frame[19],
            Tag = BinaryPrimitives.ReadUInt32BigEndian(frame[20..]),
        };
        return header.Version == CurrentVersion ? AoeReadStatus.Ok : AoeReadStatus.UnsupportedVersion;
    }

    /// <summary>
    /// The header of the response to this request: addressed back to its sender from <paramref name="ourAddress"/>,
    /// carrying our shelf and slot (a broadcast request is answered with the real ones), the tag unchanged.
    /// </summary>
    public AoeHeader ToResponse(MacAddress ourAddress, ushort major, byte minor, AoeError error = AoeError.None) => this with
    {
        Destination = Source,
        Source = ourAddress,
        Version = CurrentVersion,
        Flags = AoeFlags.Response | (error != AoeError.None ? AoeFlags.Error : AoeFlags.None),
        Error = error,
        Major = major,
        Minor = minor,
    };
}
