using System.Buffers.Binary;

namespace NetScsi.Transport.Aoe;

/// <summary>
/// The argument of an Issue ATA Command (AoE r11 §3.1), after the <see cref="AoeHeader"/>; the data follows it
/// (a write's in the request, a read's in the response). Pure codec: no I/O.
/// </summary>
/// <remarks>
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  AFlags       |  Err/Feature  |  Sector Count |  Cmd/Status   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |     lba0      |     lba1      |     lba2      |     lba3      |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |     lba4      |     lba5      |           Reserved            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                             Data                              |
/// </code>
/// The LBA octets are least significant first (the ATA registers in order). For a 28-bit command lba3's low nibble
/// holds LBA bits 24-27 and its high nibble the device register's LBA/DEV bits (the Linux driver sends 0xE0).
/// </remarks>
public readonly record struct AoeAtaHeader
{
    /// <summary>The argument's length.</summary>
    public const int Length = 12;

    /// <summary>Offset of the data from the start of the frame (Ethernet, AoE and this header).</summary>
    public const int DataOffset = AoeHeader.Length + Length;

    /// <summary>The 48 bits the LBA field holds.</summary>
    public const ulong LbaMask = 0xFFFF_FFFF_FFFFUL;

    public AtaFlags Flags { get; init; }

    /// <summary>The error register in a response, the feature register in a request.</summary>
    public byte ErrorFeature { get; init; }

    public byte SectorCount { get; init; }

    /// <summary>The command register in a request, the status register in a response.</summary>
    public byte CommandStatus { get; init; }

    /// <summary>The six LBA octets as one number (at most <see cref="LbaMask"/>).</summary>
    public ulong Lba { get; init; }

    public void WriteTo(Span<byte> destination)
    {
        destination[0] = (byte)Flags;
        destination[1] = ErrorFeature;
        destination[2] = SectorCount;
        destination[3] = CommandStatus;
        ulong lba = Lba & LbaMask;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], (uint)lba);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[8..], (ushort)(lba >> 32));
        destination[10] = 0;
        destination[11] = 0;
    }

    /// <summary>Reads the argument at the start of <paramref name="argument"/> (what follows the AoE header).</summary>
    public static AoeReadStatus TryRead(ReadOnlySpan<byte> argument, out AoeAtaHeader header)
    {
        if (argument.Length < Length)
        {
            header = default;
            return AoeReadStatus.Truncated;
        }

        header = new AoeAtaHeader
        {
            Flags = (AtaFlags)argument[0],
            ErrorFeature = argument[1],
            SectorCount = argument[2],
            CommandStatus = argument[3],
            Lba = BinaryPrimitives.ReadUInt32LittleEndian(argument[4..]) | ((ulong)BinaryPrimitives.ReadUInt16LittleEndian(argument[8..]) << 32),
        };
        return AoeReadStatus.Ok;
    }
}
