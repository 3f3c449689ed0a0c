using System.Buffers.Binary;
using NetScsi.Scsi.Commands;

namespace NetScsi.Scsi.Emulation;

public sealed partial class BlockLogicalUnit
{
    /// <summary>Standard INQUIRY data length returned here (SPC-4 §6.6.2: 36 mandatory, 96 with version descriptors).</summary>
    internal const int StandardInquiryLength = 96;

    private const int VpdBufferLength = 512;

    // SPC-4 §7.8.1 (Supported VPD Pages): only the pages implemented here, ascending.
    private static ReadOnlySpan<byte> SupportedVpdPages => [0x00, 0x80, 0x83, 0x8F, 0xB0, 0xB1, 0xB2];

    /// <summary>SPC-4 §6.6: INQUIRY.</summary>
    private void Inquiry(ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        bool evpd = (cdb[1] & 0x01) != 0;
        if ((cdb[1] & 0x02) != 0)
        {
            // CMDDT is obsolete (SPC-4 §6.6.1).
            task.InvalidFieldInCdb(1, 1);
            return;
        }
        byte pageCode = cdb[2];
        int allocationLength = CdbDecoder.InquiryAllocationLength(cdb);
        if (!evpd)
        {
            // SPC-4 §6.6.1: EVPD = 0 with a non-zero PAGE CODE is an invalid field.
            if (pageCode != 0)
            {
                task.InvalidFieldInCdb(2);
                return;
            }
            CompleteDataIn(task, _standardInquiry, allocationLength);
            return;
        }

        Span<byte> page = stackalloc byte[VpdBufferLength];
        page.Clear();
        int length = pageCode switch
        {
            0x00 => WriteSupportedVpdPages(page),
            0x80 => WriteUnitSerialNumberVpd(page),
            0x83 => WriteDeviceIdentificationVpd(page, task.Nexus),
            0x8F => WriteThirdPartyCopyVpd(page),
            0xB0 => WriteBlockLimitsVpd(page),
            0xB1 => WriteBlockDeviceCharacteristicsVpd(page, SupportsBlockErase),
            0xB2 => WriteLogicalBlockProvisioningVpd(page),
            _ => -1,
        };
        if (length < 0)
        {
            task.InvalidFieldInCdb(2);
            return;
        }
        CompleteDataIn(task, page[..length], allocationLength);
    }

    private static byte[] BuildStandardInquiry(LogicalUnitOptions options)
    {
        byte[] d = new byte[StandardInquiryLength];
        d[0] = 0x00; // PERIPHERAL QUALIFIER 000b, PERIPHERAL DEVICE TYPE 00h (direct access block device)
        d[1] = options.Removable ? (byte)0x80 : (byte)0x00; // RMB
        d[2] = 0x06; // VERSION: SPC-4
        d[3] = 0x12; // HISUP = 1, RESPONSE DATA FORMAT = 2
        d[4] = StandardInquiryLength - 5; // ADDITIONAL LENGTH
        d[5] = 0x08; // SCCS 0, ACC 0, TPGS = 00b (no ALUA), 3PC = 1 (EXTENDED COPY), PROTECT = 0
        d[6] = 0x00;
        d[7] = 0x02; // CMDQUE: full task management model
        WriteAscii(d.AsSpan(8, 8), options.VendorId);
        WriteAscii(d.AsSpan(16, 16), options.ProductId);
        WriteAscii(d.AsSpan(32, 4), options.Revision);
        // SPC-4 §6.6.2 version descriptors (table 29): SAM-5, SPC-4, SBC-3.
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(58), 0x00A0);
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(60), 0x0460);
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(62), 0x04C0);
        return d;
    }

    /// <summary>Left-aligned ASCII, space padded (SPC-4 §4.4.1); characters outside 20h-7Eh become '?'.</summary>
    private static int WriteAscii(Span<byte> destination, string? value)
    {
        destination.Fill((byte)' ');
        if (value is null)
        {
            return 0;
        }
        int n = Math.Min(value.Length, destination.Length);
        for (int i = 0; i < n; i++)
        {
            char c = value[i];
            destination[i] = c is >= ' ' and <= '~' ? (byte)c : (byte)'?';
        }
        return n;
    }

    private static int WriteSupportedVpdPages(Span<byte> d)
    {
        d[1] = 0x00;
        ReadOnlySpan<byte> pages = SupportedVpdPages;
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)pages.Length);
        pages.CopyTo(d[4..]);
        return 4 + pages.Length;
    }

    /// <summary>SPC-4 §7.8.15: Unit Serial Number VPD page.</summary>
    private int WriteUnitSerialNumberVpd(Span<byte> d)
    {
        d[1] = 0x80;
        int n = Math.Min(_serialNumber.Length, 252);
        WriteAscii(d.Slice(4, n), _serialNumber);
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)n);
        return 4 + n;
    }

    /// <summary>SPC-4 §7.8.6: Device Identification VPD page.</summary>
    private int WriteDeviceIdentificationVpd(Span<byte> d, ItNexus? nexus)
    {
        d[1] = 0x83;
        int offset = 4;

        // NAA designator, logical unit association (§7.8.6.6).
        d[offset] = 0x01; // PROTOCOL IDENTIFIER 0, CODE SET 1 (binary)
        d[offset + 1] = 0x03; // PIV 0, ASSOCIATION 00b (logical unit), DESIGNATOR TYPE 3 (NAA)
        d[offset + 3] = 16;
        _naaDesignator.CopyTo(d[(offset + 4)..]);
        offset += 20;

        // T10 vendor ID based designator (§7.8.6.4): T10 VENDOR IDENTIFICATION + vendor specific (serial).
        int serialLength = Math.Min(_serialNumber.Length, 64);
        d[offset] = 0x02; // CODE SET 2 (ASCII)
        d[offset + 1] = 0x01; // ASSOCIATION 00b, DESIGNATOR TYPE 1 (T10 vendor ID)
        d[offset + 3] = (byte)(8 + serialLength);
        WriteAscii(d.Slice(offset + 4, 8), _options.VendorId);
        WriteAscii(d.Slice(offset + 12, serialLength), _serialNumber);
        offset += 4 + 8 + serialLength;

        // Relative target port designator (§7.8.6.7), target port association.
        if (nexus is not null && nexus.RelativeTargetPortId != 0)
        {
            d[offset] = 0x01;
            d[offset + 1] = 0x14; // ASSOCIATION 01b (target port), DESIGNATOR TYPE 4
            d[offset + 3] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(d[(offset + 6)..], nexus.RelativeTargetPortId);
            offset += 8;
        }

        // Target port group designator (§7.8.6.8).
        d[offset] = 0x01;
        d[offset + 1] = 0x15; // ASSOCIATION 01b (target port), DESIGNATOR TYPE 5
        d[offset + 3] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(d[(offset + 6)..], _options.TargetPortGroup);
        offset += 8;

        BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)(offset - 4));
        return offset;
    }

    /// <summary>SBC-4 §6.6.4: Block Limits VPD page.</summary>
    private int WriteBlockLimitsVpd(Span<byte> d)
    {
        d[1] = 0xB0;
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
        d[1] = 0xB1;
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
        d[1] = 0xB2;
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
