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
    public const byte FixedDeferredResponseCode = 0x71;
    public const byte DescriptorCurrentResponseCode = 0x72;
    public const byte DescriptorDeferredResponseCode = 0x73;

    // SPC-4 §4.5.1: byte 0 bits 6-0 RESPONSE CODE; fixed format byte 0 bit 7 VALID; SENSE KEY in bits 3-0.
    private const byte ResponseCodeMask = 0x7F;
    private const byte ValidBit = 0x80;
    private const byte SenseKeyMask = 0x0F;

    // SPC-4 §4.5.3 (fixed format) field offsets.
    private const int FixedSenseKeyOffset = 2;
    private const int FixedInformationOffset = 3;
    private const int FixedAdditionalLengthOffset = 7;
    private const int FixedAscOffset = 12;
    private const int FixedAscqOffset = 13;
    private const int FixedKeySpecificOffset = 15;

    // SPC-4 §4.5.2: descriptor format header and descriptors.
    private const int DescriptorAdditionalLengthOffset = 7;
    private const byte InformationDescriptorType = 0x00;
    private const int InformationDescriptorLength = 12;
    private const byte KeySpecificDescriptorType = 0x02;
    private const int KeySpecificDescriptorLength = 8;
    private const int DescriptorPayloadOffset = 4;

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
            d[0] |= ValidBit;
            BinaryPrimitives.WriteUInt32BigEndian(d[FixedInformationOffset..], (uint)info);
        }
        d[FixedSenseKeyOffset] = (byte)((byte)key & SenseKeyMask);
        d[FixedAdditionalLengthOffset] = FixedLength - 8; // ADDITIONAL SENSE LENGTH
        d[FixedAscOffset] = asc;
        d[FixedAscqOffset] = ascq;
        if (keySpecific.IsValid)
        {
            keySpecific.WriteTo(d[FixedKeySpecificOffset..]);
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
        destination[1] = (byte)((byte)key & SenseKeyMask);
        destination[2] = asc;
        destination[3] = ascq;
        int offset = DescriptorHeaderLength;
        if (information is ulong info)
        {
            Span<byte> desc = destination.Slice(offset, InformationDescriptorLength);
            desc.Clear();
            desc[0] = InformationDescriptorType;
            desc[1] = InformationDescriptorLength - 2; // ADDITIONAL LENGTH
            desc[2] = ValidBit;
            BinaryPrimitives.WriteUInt64BigEndian(desc[DescriptorPayloadOffset..], info);
            offset += InformationDescriptorLength;
        }
        if (keySpecific.IsValid)
        {
            Span<byte> desc = destination.Slice(offset, KeySpecificDescriptorLength);
            desc.Clear();
            desc[0] = KeySpecificDescriptorType;
            desc[1] = KeySpecificDescriptorLength - 2; // ADDITIONAL LENGTH
            keySpecific.WriteTo(desc[DescriptorPayloadOffset..]);
            offset += KeySpecificDescriptorLength;
        }
        destination[DescriptorAdditionalLengthOffset] = (byte)(offset - DescriptorHeaderLength); // ADDITIONAL SENSE LENGTH
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
        switch (sense[0] & ResponseCodeMask)
        {
            case FixedCurrentResponseCode:
            case FixedDeferredResponseCode:
                if (sense.Length <= FixedAscqOffset)
                {
                    return false;
                }
                key = (SenseKey)(sense[FixedSenseKeyOffset] & SenseKeyMask);
                asc = sense[FixedAscOffset];
                ascq = sense[FixedAscqOffset];
                return true;
            case DescriptorCurrentResponseCode:
            case DescriptorDeferredResponseCode:
                if (sense.Length < 4)
                {
                    return false;
                }
                key = (SenseKey)(sense[1] & SenseKeyMask);
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
        int code = sense[0] & ResponseCodeMask;
        if (code is FixedCurrentResponseCode or FixedDeferredResponseCode)
        {
            if (sense.Length < FixedInformationOffset + 4 || (sense[0] & ValidBit) == 0)
            {
                return false;
            }
            information = BinaryPrimitives.ReadUInt32BigEndian(sense[FixedInformationOffset..]);
            return true;
        }
        if (code is DescriptorCurrentResponseCode or DescriptorDeferredResponseCode
            && TryFindDescriptor(sense, InformationDescriptorType, out ReadOnlySpan<byte> desc) && desc.Length >= InformationDescriptorLength)
        {
            information = BinaryPrimitives.ReadUInt64BigEndian(desc[DescriptorPayloadOffset..]);
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
        int code = sense[0] & ResponseCodeMask;
        if (code is FixedCurrentResponseCode or FixedDeferredResponseCode)
        {
            if (sense.Length < FixedLength)
            {
                return false;
            }
            keySpecific = SenseKeySpecific.FromBytes(sense[FixedKeySpecificOffset..]);
            return keySpecific.IsValid;
        }
        if (code is DescriptorCurrentResponseCode or DescriptorDeferredResponseCode
            && TryFindDescriptor(sense, KeySpecificDescriptorType, out ReadOnlySpan<byte> desc) && desc.Length >= KeySpecificDescriptorLength - 1)
        {
            keySpecific = SenseKeySpecific.FromBytes(desc[DescriptorPayloadOffset..]);
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
        int end = Math.Min(sense.Length, DescriptorHeaderLength + sense[DescriptorAdditionalLengthOffset]);
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
