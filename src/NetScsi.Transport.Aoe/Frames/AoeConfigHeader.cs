using System.Buffers.Binary;

namespace NetScsi.Transport.Aoe;

/// <summary>
/// The argument of Query Config Information (AoE r11 §4.1), after the <see cref="AoeHeader"/>, followed by the config
/// string. Pure codec: no I/O.
/// </summary>
/// <remarks>
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |          Buffer Count         |       Firmware Version        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  Sector Count | AoE Ver| CCmd |    Config String Length       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 Config String (0 .. 1024 octets)              |
/// </code>
/// Big-endian. In a response: Buffer Count is how many requests the target queues, Sector Count the most sectors one
/// ATA command may carry (the Linux driver takes the smaller of it and (MTU - 36) / 512), AoE Ver the version the
/// target speaks. Requests leave the first three fields zero.
/// </remarks>
public readonly record struct AoeConfigHeader
{
    /// <summary>The argument's length without the string.</summary>
    public const int Length = 8;

    /// <summary>The longest config string (r11 §4.1).</summary>
    public const int MaxConfigStringLength = 1024;

    public ushort BufferCount { get; init; }

    public ushort FirmwareVersion { get; init; }

    public byte SectorCount { get; init; }

    /// <summary>The AoE Ver nibble (<see cref="AoeHeader.CurrentVersion"/> in what we write).</summary>
    public byte Version { get; init; }

    public AoeConfigCommand Command { get; init; }

    public ushort ConfigStringLength { get; init; }

    /// <summary>Writes the 8 octets (the string is the caller's to copy after them).</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, BufferCount);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], FirmwareVersion);
        destination[4] = SectorCount;
        destination[5] = (byte)((Version << 4) | ((byte)Command & 0x0F));
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], ConfigStringLength);
    }

    /// <summary>
    /// Reads the argument at the start of <paramref name="argument"/> and checks that the string lies within it (what
    /// follows the string is Ethernet padding); <paramref name="configString"/> is that string.
    /// </summary>
    public static AoeReadStatus TryRead(ReadOnlySpan<byte> argument, out AoeConfigHeader header, out ReadOnlySpan<byte> configString)
    {
        header = default;
        configString = default;
        if (argument.Length < Length)
        {
            return AoeReadStatus.Truncated;
        }

        ushort length = BinaryPrimitives.ReadUInt16BigEndian(argument[6..]);
        if (length > MaxConfigStringLength)
        {
            return AoeReadStatus.ConfigStringTooLong;
        }

        if (length > argument.Length - Length)
        {
            return AoeReadStatus.ConfigStringBeyondFrame;
        }

        header = new AoeConfigHeader
        {
            BufferCount = BinaryPrimitives.ReadUInt16BigEndian(argument),
            FirmwareVersion = BinaryPrimitives.ReadUInt16BigEndian(argument[2..]),
            SectorCount = argument[4],
            Version = (byte)(argument[5] >> 4),
            Command = (AoeConfigCommand)(argument[5] & 0x0F),
            ConfigStringLength = length,
        };
        configString = argument.Slice(Length, length);
        return AoeReadStatus.Ok;
    }
}
