using System.Buffers.Binary;

namespace NetScsi.Scsi.Commands;

/// <summary>
/// READ CAPACITY(16) parameter data (SBC-4 §5.20.2): RETURNED LOGICAL BLOCK ADDRESS (bytes 0-7), LOGICAL BLOCK
/// LENGTH (8-11), LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT (byte 13 bits 3-0), LBPME and LBPRZ (byte 14 bits 7, 6).
/// </summary>
public readonly record struct ReadCapacity16Data(ulong LastLba, uint BlockLength, byte PhysicalBlockExponent, bool ProvisioningManagement, bool UnmappedReadsZero)
{
    /// <summary>RETURNED LOGICAL BLOCK ADDRESS and LOGICAL BLOCK LENGTH: the fields every answer has.</summary>
    public const int MinimumLength = 12;

    /// <summary>Up to the provisioning flags (byte 14).</summary>
    public const int ProvisioningLength = 15;

    private const int BlockLengthOffset = 8;
    private const int ExponentOffset = 13;
    private const byte ExponentMask = 0x0F;
    private const int ProvisioningOffset = 14;
    private const byte ProvisioningManagementBit = 0x80;
    private const byte UnmappedReadsZeroBit = 0x40;

    /// <summary>The number of logical blocks.</summary>
    public ulong BlockCount => LastLba + 1;

    /// <summary>
    /// Reads the data; false when fewer than <see cref="MinimumLength"/> bytes arrived. The exponent and the
    /// provisioning flags read as zero when the data stops before byte 14.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out ReadCapacity16Data result)
    {
        result = default;
        if (data.Length < MinimumLength)
        {
            return false;
        }
        bool flags = data.Length >= ProvisioningLength;
        result = new ReadCapacity16Data(
            BinaryPrimitives.ReadUInt64BigEndian(data),
            BinaryPrimitives.ReadUInt32BigEndian(data[BlockLengthOffset..]),
            flags ? (byte)(data[ExponentOffset] & ExponentMask) : (byte)0,
            flags && (data[ProvisioningOffset] & ProvisioningManagementBit) != 0,
            flags && (data[ProvisioningOffset] & UnmappedReadsZeroBit) != 0);
        return true;
    }
}
