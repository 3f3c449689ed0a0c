using System.Buffers.Binary;

namespace NetScsi.Scsi;

/// <summary>
/// Encodes and decodes sense data (SPC-4 §4.5): fixed format (response code 70h) and descriptor
/// format (72h). Writers return the number of bytes written; nothing allocates.
/// </summary>
public static class SenseData
{
    /// <summary>Length of fixed-format sense data as written here (ADDITIONAL SENSE LENGTH = 10).</summary>
    public const int FixedLength = 18;

    /// <summary>Length of the descriptor-format header.</summary>
    public const int DescriptorHeaderLength = 8;

    /// <summary>Largest descriptor-format sense written here: header, information and sense-key specific descriptors.</summary>
    public const int MaxDescriptorLength = DescriptorHeaderLength + 12 + 8;

    public const byte FixedCurrentResponseCode = 0x70;
    public const byte DescriptorCurrentResponseCode = 0x72;

    /// <summary>Writes fixed or descriptor format sense, as <paramref name="descriptorFormat"/> says.</summary>
    public static int Write(
        Span<byte> destination,
        bool descriptorFormat,
        SenseKey key,
        byte asc,
        byte ascq,
        ulong? information = null,
        SenseKeySpecific keySpecific = default) =>
        descriptorFormat
            ? WriteDescriptor(destination, key, asc, ascq, information, keySpecific)
            : WriteFixed(destination, key, asc, ascq, information, keySpecific);

    /// <summary>
    /// SPC-4 §4.5.3: fixed format sense data, 18 bytes. The INFORMATION field holds 4 bytes; a larger
    /// value cannot be represented and leaves VALID clear.
    /// </summary>
    public static int WriteFixed(
        Span<byte> destination,
        SenseKey key,
        byte asc,
        byte ascq,
        ulong? information = null,
        SenseKeySpecific keySpecific = default)
    {
        Span<byte> d = destination[..FixedLength];
        d.Clear();
        d[0] = FixedCurrentResponseCode;
        if (information is ulong info && info <= uint.MaxValue)
        {
            d[0] |= 0x80; // VALID
            BinaryPrimitives.WriteUInt32BigEndian(d[3..], (uint)info);
        }
        d[2] = (byte)((byte)key & 0x0F);
        d[7] = FixedLength - 8; // ADDITIONAL SENSE LENGTH
        d[12] = asc;
        d[13] = ascq;
        if (keySpecific.IsValid)
        {
            keySpecific.WriteTo(d[15..]);
        }
        return FixedLength;
    }

    /// <summary>
    /// SPC-4 §4.5.2: descriptor format sense data: an 8-byte header, then an Information descriptor
    /// (§4.5.2.2, type 00h) and a Sense key specific descriptor (§4.5.2.4, type 02h) when given.
    /// </summary>
    public static int WriteDescriptor(
        Span<byte> destination,
        SenseKey key,
        byte asc,
        byte ascq,
        ulong? information = null,
        SenseKeySpecific keySpecific = default)
    {
        destination[..DescriptorHeaderLength].Clear();
        destination[0] = DescriptorCurrentResponseCode;
        destination[1] = (byte)((byte)key & 0x0F);
        destination[2] = asc;
        destination[3] = ascq;
        int offset = DescriptorHeaderLength;
        if (information is ulong info)
        {
            Span<byte> desc = destination.Slice(offset, 12);
            desc.Clear();
            desc[0] = 0x00; // DESCRIPTOR TYPE: Information
            desc[1] = 0x0A; // ADDITIONAL LENGTH
            desc[2] = 0x80; // VALID
            BinaryPrimitives.WriteUInt64BigEndian(desc[4..], info);
            offset += 12;
        }
        if (keySpecific.IsValid)
        {
            Span<byte> desc = destination.Slice(offset, 8);
            desc.Clear();
            desc[0] = 0x02; // DESCRIPTOR TYPE: Sense key specific
            desc[1] = 0x06; // ADDITIONAL LENGTH
            keySpecific.WriteTo(desc[4..]);
            offset += 8;
        }
        destination[7] = (byte)(offset - 8); // ADDITIONAL SENSE LENGTH
        return offset;
    }

    /// <summary>Reads sense key, ASC and ASCQ from either format; false when the response code is unknown or the data too short.</summary>
    public static bool TryParse(ReadOnlySpan<byte> sense, out SenseKey key, out byte asc, out byte ascq)
    {
        key = SenseKey.NoSense;
        asc = 0;
        ascq = 0;
        if (sense.IsEmpty)
        {
            return false;
        }
        switch (sense[0] & 0x7F)
        {
            case 0x70:
            case 0x71:
                if (sense.Length < 14)
                {
                    return false;
                }
                key = (SenseKey)(sense[2] & 0x0F);
                asc = sense[12];
                ascq = sense[13];
                return true;
            case 0x72:
            case 0x73:
                if (sense.Length < 4)
                {
                    return false;
                }
                key = (SenseKey)(sense[1] & 0x0F);
                asc = sense[2];
                ascq = sense[3];
                return true;
            default:
                return false;
        }
    }

    /// <summary>Reads the INFORMATION field when VALID (fixed) or when an Information descriptor is present (descriptor format).</summary>
    public static bool TryGetInformation(ReadOnlySpan<byte> sense, out ulong information)
    {
        information = 0;
        if (sense.IsEmpty)
        {
            return false;
        }
        int code = sense[0] & 0x7F;
        if (code is 0x70 or 0x71)
        {
            if (sense.Length < 7 || (sense[0] & 0x80) == 0)
            {
                return false;
            }
            information = BinaryPrimitives.ReadUInt32BigEndian(sense[3..]);
            return true;
        }
        if (code is 0x72 or 0x73 && TryFindDescriptor(sense, 0x00, out ReadOnlySpan<byte> desc) && desc.Length >= 12)
        {
            information = BinaryPrimitives.ReadUInt64BigEndian(desc[4..]);
            return true;
        }
        return false;
    }

    /// <summary>Reads the sense-key specific field from either format.</summary>
    public static bool TryGetKeySpecific(ReadOnlySpan<byte> sense, out SenseKeySpecific keySpecific)
    {
        keySpecific = default;
        if (sense.IsEmpty)
        {
            return false;
        }
        int code = sense[0] & 0x7F;
        if (code is 0x70 or 0x71)
        {
            if (sense.Length < 18)
            {
                return false;
            }
            keySpecific = SenseKeySpecific.FromBytes(sense[15..]);
            return keySpecific.IsValid;
        }
        if (code is 0x72 or 0x73 && TryFindDescriptor(sense, 0x02, out ReadOnlySpan<byte> desc) && desc.Length >= 7)
        {
            keySpecific = SenseKeySpecific.FromBytes(desc[4..]);
            return keySpecific.IsValid;
        }
        return false;
    }

    private static bool TryFindDescriptor(ReadOnlySpan<byte> sense, byte type, out ReadOnlySpan<byte> descriptor)
    {
        descriptor = default;
        if (sense.Length < DescriptorHeaderLength)
        {
            return false;
        }
        int end = Math.Min(sense.Length, DescriptorHeaderLength + sense[7]);
        int offset = DescriptorHeaderLength;
        while (offset + 2 <= end)
        {
            int length = 2 + sense[offset + 1];
            if (offset + length > end)
            {
                return false;
            }
            if (sense[offset] == type)
            {
                descriptor = sense.Slice(offset, length);
                return true;
            }
            offset += length;
        }
        return false;
    }
}
