using System.Buffers.Binary;
using NetScsi.Scsi.Commands;

namespace NetScsi.Scsi.Emulation;

public abstract partial class ScsiLogicalUnit
{
    /// <summary>Standard INQUIRY data length returned here (SPC-4 §6.6.2: 36 mandatory, 96 with version descriptors).</summary>
    internal const int StandardInquiryLength = 96;

    /// <summary>Largest VPD page built here.</summary>
    private protected const int VpdBufferLength = 512;

    // SPC-4 §7.8.6.1 (table 584/585): designation descriptor fields.
    private protected const int DesignatorCodeSetBinary = 0x1;
    private protected const int DesignatorCodeSetAscii = 0x2;
    private protected const int DesignatorTypeT10VendorId = 0x1;
    private protected const int DesignatorTypeNaa = 0x3;
    private protected const int DesignatorTypeRelativeTargetPort = 0x4;
    private protected const int DesignatorTypeTargetPortGroup = 0x5;
    private const int AssociationTargetPort = 0x1;
    private const int AssociationShift = 4;
    private const int NaaDesignatorLength = 16;
    private const int MaxT10VendorSpecificLength = 64;
    private const int MaxSerialNumberLength = 252;
    private const int T10VendorIdLength = 8;

    // SPC-4 §6.6.2: standard INQUIRY data fields.
    private const byte RemovableMediumBit = 0x80;
    private const byte ThirdPartyCopyBit = 0x08;
    private const int TargetPortGroupSupportShift = 4;
    private const byte CommandQueueingBit = 0x02;
    private const int VendorIdOffset = 8;
    private const int ProductIdOffset = 16;
    private const int ProductIdLength = 16;
    private const int RevisionOffset = 32;
    private const int RevisionLength = 4;
    private const int VersionDescriptorsOffset = 58;
    private const byte EvpdBit = 0x01;
    private const byte CmdDtBit = 0x02;

    // SPC-4 §7.8.1 (Supported VPD Pages): the core's pages, ascending.
    private static ReadOnlySpan<byte> CoreVpdPages => [VpdPage.SupportedPages, VpdPage.UnitSerialNumber, VpdPage.DeviceIdentification];

    /// <summary>The VPD pages the device type adds, ascending (all above 83h).</summary>
    private protected virtual ReadOnlySpan<byte> DeviceVpdPages => [];

    /// <summary>Writes one of <see cref="DeviceVpdPages"/> into <paramref name="page"/> (cleared); returns its length.</summary>
    private protected virtual int WriteDeviceVpdPage(byte pageCode, Span<byte> page, ItNexus? nexus) => -1;

    /// <summary>SPC-4 §6.6: INQUIRY.</summary>
    private void Inquiry(ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        bool evpd = (cdb[1] & EvpdBit) != 0;
        if ((cdb[1] & CmdDtBit) != 0)
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
            VpdPage.SupportedPages => WriteSupportedVpdPages(page),
            VpdPage.UnitSerialNumber => WriteUnitSerialNumberVpd(page),
            VpdPage.DeviceIdentification => WriteDeviceIdentificationVpd(page, task.Nexus),
            _ => DeviceVpdPages.Contains(pageCode) ? WriteDeviceVpdPage(pageCode, page, task.Nexus) : -1,
        };
        if (length < 0)
        {
            task.InvalidFieldInCdb(2);
            return;
        }
        page[0] = PeripheralDeviceType; // PERIPHERAL QUALIFIER 000b
        CompleteDataIn(task, page[..length], allocationLength);
    }

    private static byte[] BuildStandardInquiry(ScsiLogicalUnitOptions options, in InquiryProfile profile)
    {
        byte[] d = new byte[StandardInquiryLength];
        d[0] = profile.PeripheralDeviceType; // PERIPHERAL QUALIFIER 000b: connected
        d[1] = profile.Removable ? RemovableMediumBit : (byte)0x00; // RMB
        d[2] = StandardInquiryData.Spc4Version; // VERSION
        d[3] = StandardInquiryData.HierarchicalSupportAndResponseDataFormat2; // HISUP = 1, RESPONSE DATA FORMAT = 2
        d[4] = StandardInquiryLength - StandardInquiryData.AdditionalLengthBase; // ADDITIONAL LENGTH
        // SCCS 0, ACC 0, TPGS, 3PC, PROTECT 0.
        d[5] = (byte)((TargetPortGroupSupport(options, profile) << TargetPortGroupSupportShift) | (profile.ThirdPartyCopy ? ThirdPartyCopyBit : 0));
        d[7] = CommandQueueingBit; // CMDQUE: full task management model
        WriteAscii(d.AsSpan(VendorIdOffset, T10VendorIdLength), options.VendorId);
        WriteAscii(d.AsSpan(ProductIdOffset, ProductIdLength), options.ProductId);
        WriteAscii(d.AsSpan(RevisionOffset, RevisionLength), options.Revision);
        // SPC-4 §6.6.2 version descriptors (table 143): SAM-5, SPC-4, then the device type's command set.
        Span<byte> descriptors = d.AsSpan(VersionDescriptorsOffset);
        BinaryPrimitives.WriteUInt16BigEndian(descriptors, VersionDescriptor.Sam5);
        BinaryPrimitives.WriteUInt16BigEndian(descriptors[2..], VersionDescriptor.Spc4);
        BinaryPrimitives.WriteUInt16BigEndian(descriptors[4..], profile.DeviceTypeStandard);
        return d;
    }

    /// <summary>Left-aligned ASCII, space padded (SPC-4 §4.4.1); characters outside 20h-7Eh become '?'.</summary>
    private protected static int WriteAscii(Span<byte> destination, string? value)
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

    /// <summary>SPC-4 §7.8.11: Supported VPD Pages: the core's and the device type's, ascending.</summary>
    private int WriteSupportedVpdPages(Span<byte> d)
    {
        d[1] = VpdPage.SupportedPages;
        ReadOnlySpan<byte> core = CoreVpdPages;
        ReadOnlySpan<byte> device = DeviceVpdPages;
        core.CopyTo(d[4..]);
        device.CopyTo(d[(4 + core.Length)..]);
        int count = core.Length + device.Length;
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)count);
        return 4 + count;
    }

    /// <summary>SPC-4 §7.8.15: Unit Serial Number VPD page.</summary>
    private int WriteUnitSerialNumberVpd(Span<byte> d)
    {
        d[1] = VpdPage.UnitSerialNumber;
        int n = Math.Min(_serialNumber.Length, MaxSerialNumberLength);
        WriteAscii(d.Slice(4, n), _serialNumber);
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)n);
        return 4 + n;
    }

    /// <summary>SPC-4 §7.8.6: Device Identification VPD page.</summary>
    private int WriteDeviceIdentificationVpd(Span<byte> d, ItNexus? nexus)
    {
        d[1] = VpdPage.DeviceIdentification;
        int offset = 4;

        // NAA designator, logical unit association (§7.8.6.6).
        d[offset] = DesignatorCodeSetBinary; // PROTOCOL IDENTIFIER 0, CODE SET 1 (binary)
        d[offset + 1] = DesignatorTypeNaa; // PIV 0, ASSOCIATION 00b (logical unit), DESIGNATOR TYPE 3 (NAA)
        d[offset + 3] = NaaDesignatorLength;
        _naaDesignator.CopyTo(d[(offset + 4)..]);
        offset += 4 + NaaDesignatorLength;

        // T10 vendor ID based designator (§7.8.6.4): T10 VENDOR IDENTIFICATION + vendor specific (serial).
        int serialLength = Math.Min(_serialNumber.Length, MaxT10VendorSpecificLength);
        d[offset] = DesignatorCodeSetAscii;
        d[offset + 1] = DesignatorTypeT10VendorId; // ASSOCIATION 00b
        d[offset + 3] = (byte)(T10VendorIdLength + serialLength);
        WriteAscii(d.Slice(offset + 4, T10VendorIdLength), _unitOptions.VendorId);
        WriteAscii(d.Slice(offset + 4 + T10VendorIdLength, serialLength), _serialNumber);
        offset += 4 + T10VendorIdLength + serialLength;

        // Relative target port designator (§7.8.6.7), target port association.
        if (nexus is not null && nexus.RelativeTargetPortId != 0)
        {
            d[offset] = DesignatorCodeSetBinary;
            d[offset + 1] = (AssociationTargetPort << AssociationShift) | DesignatorTypeRelativeTargetPort;
            d[offset + 3] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(d[(offset + 6)..], nexus.RelativeTargetPortId);
            offset += 8;
        }

        // Target port group designator (§7.8.6.8).
        d[offset] = DesignatorCodeSetBinary;
        d[offset + 1] = (AssociationTargetPort << AssociationShift) | DesignatorTypeTargetPortGroup;
        d[offset + 3] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(d[(offset + 6)..], PortGroupId(nexus));
        offset += 8;

        BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)(offset - 4));
        return offset;
    }

    private static byte[] BuildNaaDesignator(uint companyId, byte[] hash)
    {
        // SPC-4 §7.8.6.6.5: NAA 6h (IEEE Registered Extended): NAA (4 bits), IEEE COMPANY_ID (24 bits),
        // VENDOR SPECIFIC IDENTIFIER (36 bits), VENDOR SPECIFIC IDENTIFIER EXTENSION (64 bits). The vendor
        // parts come from a hash of the unit's identity so they are stable across restarts.
        const uint naaRegisteredExtended = 0x60;
        byte[] naa = new byte[NaaDesignatorLength];
        uint id = companyId & 0xFFFFFF;
        naa[0] = (byte)(naaRegisteredExtended | (id >> 20));
        naa[1] = (byte)(id >> 12);
        naa[2] = (byte)(id >> 4);
        naa[3] = (byte)(((id & 0x0Fu) << 4) | (hash[0] & 0x0Fu));
        hash.AsSpan(1, 12).CopyTo(naa.AsSpan(4));
        return naa;
    }
}
