using System.Buffers.Binary;
using NetScsi.Scsi.Commands;

namespace NetScsi.Scsi.Emulation;

public sealed partial class BlockLogicalUnit
{
    // SPC-4 §7.8.1: the pages a block unit adds to the core's, ascending.
    private static ReadOnlySpan<byte> BlockVpdPages =>
        [VpdPage.ThirdPartyCopy, VpdPage.BlockLimits, VpdPage.BlockDeviceCharacteristics, VpdPage.LogicalBlockProvisioning];

    private protected override ReadOnlySpan<byte> DeviceVpdPages => BlockVpdPages;

    private protected override int WriteDeviceVpdPage(byte pageCode, Span<byte> page, ItNexus? nexus) => pageCode switch
    {
        VpdPage.ThirdPartyCopy => CopyManager.WriteThirdPartyCopyVpd(page),
        VpdPage.BlockLimits => WriteBlockLimitsVpd(page),
        VpdPage.BlockDeviceCharacteristics => WriteBlockDeviceCharacteristicsVpd(page, SupportsBlockErase),
        VpdPage.LogicalBlockProvisioning => WriteLogicalBlockProvisioningVpd(page),
        _ => -1,
    };

    /// <summary>SBC-4 §6.6.4: Block Limits VPD page.</summary>
    private int WriteBlockLimitsVpd(Span<byte> d)
    {
        d[1] = VpdPage.BlockLimits;
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], 0x3C);
        d[4] = 0x00; // WSNZ = 0: WRITE SAME with NUMBER OF LOGICAL BLOCKS = 0 writes to the end of the medium
        d[5] = _options.MaxCompareAndWriteLengthBlocks; // MAXIMUM COMPARE AND WRITE LENGTH
        BinaryPrimitives.WriteUInt16BigEndian(d[6..], _options.OptimalTransferLengthGranularityBlocks);
        BinaryPrimitives.WriteUInt32BigEndian(d[8..], _maxTransferBlocks);
        BinaryPrimitives.WriteUInt32BigEndian(d[12..], 0); // OPTIMAL TRANSFER LENGTH: not reported
        BinaryPrimitives.WriteUInt32BigEndian(d[16..], 0); // MAXIMUM PREFETCH LENGTH
        if (IsThin)
        {
            BinaryPrimitives.WriteUInt32BigEndian(d[20..], _options.MaxUnmapLbaCount);
            BinaryPrimitives.WriteUInt32BigEndian(d[24..], _options.MaxUnmapBlockDescriptorCount);
            // OPTIMAL UNMAP GRANULARITY: one physical block; UGAVALID with UNMAP GRANULARITY ALIGNMENT 0 (LOWEST
            // ALIGNED LBA is 0).
            BinaryPrimitives.WriteUInt32BigEndian(d[28..], 1u << _physicalBlockExponent);
            BinaryPrimitives.WriteUInt32BigEndian(d[32..], 0x8000_0000u);
        }
        BinaryPrimitives.WriteUInt64BigEndian(d[36..], _maxWriteSameBlocks);
        // SBC-4 §6.6.4 atomic write limits (WRITE ATOMIC (16)).
        BinaryPrimitives.WriteUInt32BigEndian(d[44..], MaxAtomicTransferLengthBlocks); // MAXIMUM ATOMIC TRANSFER LENGTH
        BinaryPrimitives.WriteUInt32BigEndian(d[48..], 1); // ATOMIC ALIGNMENT
        BinaryPrimitives.WriteUInt32BigEndian(d[52..], 1); // ATOMIC TRANSFER LENGTH GRANULARITY
        return 64;
    }

    /// <summary>SBC-4 §6.6.2: Block Device Characteristics VPD page.</summary>
    private static int WriteBlockDeviceCharacteristicsVpd(Span<byte> d, bool blockErase)
    {
        d[1] = VpdPage.BlockDeviceCharacteristics;
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], 0x3C);
        BinaryPrimitives.WriteUInt16BigEndian(d[4..], 0x0001); // MEDIUM ROTATION RATE: non-rotating medium
        // WABEREQ 01b: after SANITIZE BLOCK ERASE, reads succeed (deallocated blocks read as zeros).
        // WACEREQ 00b: CRYPTO ERASE is not supported.
        d[7] = blockErase ? (byte)0x40 : (byte)0x00;
        return 64;
    }

    /// <summary>SBC-4 §6.6.5: Logical Block Provisioning VPD page.</summary>
    private int WriteLogicalBlockProvisioningVpd(Span<byte> d)
    {
        d[1] = VpdPage.LogicalBlockProvisioning;
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], 4);
        if (IsThin)
        {
            byte flags = 0x80 | 0x40 | 0x20; // LBPU, LBPWS, LBPWS10
            if (_device.UnmappedReadsZero)
            {
                flags |= 0x04; // LBPRZ = 001b
            }
            d[5] = flags;
            d[6] = 0x02; // PROVISIONING TYPE: thin provisioned
        }
        return 8;
    }
}
