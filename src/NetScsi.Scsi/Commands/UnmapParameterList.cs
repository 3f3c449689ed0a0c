using System.Buffers.Binary;

namespace NetScsi.Scsi.Commands;

/// <summary>
/// The UNMAP parameter list (SBC-4 §5.30.2): an 8-byte header (UNMAP DATA LENGTH in bytes 0-1, BLOCK DESCRIPTOR DATA
/// LENGTH in bytes 2-3), then 16-byte block descriptors (LBA in bytes 0-7, NUMBER OF LOGICAL BLOCKS in 8-11).
/// </summary>
public static class UnmapParameterList
{
    /// <summary>The header is 8 bytes.</summary>
    public const int HeaderLength = 8;

    /// <summary>A block descriptor is 16 bytes.</summary>
    public const int DescriptorLength = 16;

    /// <summary>Byte offset of BLOCK DESCRIPTOR DATA LENGTH.</summary>
    public const int BlockDescriptorDataLengthOffset = 2;

    private const int DescriptorBlocksOffset = 8;

    /// <summary>The list length for <paramref name="count"/> descriptors.</summary>
    public static int LengthFor(int count) => HeaderLength + (count * DescriptorLength);

    /// <summary>Writes the header and <paramref name="descriptors"/>; returns the list length.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<UnmapBlockDescriptor> descriptors)
    {
        int length = LengthFor(descriptors.Length);
        Span<byte> d = destination[..length];
        d.Clear();
        BinaryPrimitives.WriteUInt16BigEndian(d, (ushort)(length - 2)); // UNMAP DATA LENGTH: the bytes after it
        BinaryPrimitives.WriteUInt16BigEndian(d[BlockDescriptorDataLengthOffset..], (ushort)(length - HeaderLength));
        for (int i = 0; i < descriptors.Length; i++)
        {
            Span<byte> descriptor = d[(HeaderLength + (i * DescriptorLength))..];
            BinaryPrimitives.WriteUInt64BigEndian(descriptor, descriptors[i].Lba);
            BinaryPrimitives.WriteUInt32BigEndian(descriptor[DescriptorBlocksOffset..], descriptors[i].Blocks);
        }
        return length;
    }

    /// <summary>BLOCK DESCRIPTOR DATA LENGTH of a list (the header must be there).</summary>
    public static int ReadBlockDescriptorDataLength(ReadOnlySpan<byte> list) =>
        BinaryPrimitives.ReadUInt16BigEndian(list[BlockDescriptorDataLengthOffset..]);

    /// <summary>The block descriptor at <paramref name="index"/> (the caller has checked the list holds it).</summary>
    public static UnmapBlockDescriptor ReadDescriptor(ReadOnlySpan<byte> list, int index)
    {
        ReadOnlySpan<byte> descriptor = list[(HeaderLength + (index * DescriptorLength))..];
        return new UnmapBlockDescriptor(BinaryPrimitives.ReadUInt64BigEndian(descriptor), BinaryPrimitives.ReadUInt32BigEndian(descriptor[DescriptorBlocksOffset..]));
    }
}
