using System.Buffers.Binary;

namespace NetScsi.Scsi.Commands;

/// <summary>READ CAPACITY(10) parameter data (SBC-4 §5.19.2): RETURNED LOGICAL BLOCK ADDRESS and LOGICAL BLOCK LENGTH.</summary>
/// <param name="LastLba">The last LBA (FFFFFFFFh: too large, ask READ CAPACITY(16)).</param>
/// <param name="BlockLength">Logical block length in bytes.</param>
public readonly record struct ReadCapacity10Data(uint LastLba, uint BlockLength)
{
    /// <summary>The data is 8 bytes.</summary>
    public const int Length = 8;

    /// <summary>The number of logical blocks.</summary>
    public ulong BlockCount => (ulong)LastLba + 1;

    /// <summary>Writes the 8 bytes; returns the length.</summary>
    public int WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, LastLba);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], BlockLength);
        return Length;
    }

    /// <summary>Reads the data; false when fewer than 8 bytes arrived.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out ReadCapacity10Data result)
    {
        result = default;
        if (data.Length < Length)
        {
            return false;
        }
        result = new ReadCapacity10Data(BinaryPrimitives.ReadUInt32BigEndian(data), BinaryPrimitives.ReadUInt32BigEndian(data[4..]));
        return true;
    }
}
