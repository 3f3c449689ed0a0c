using System.Buffers.Binary;
using NetScsi.Scsi.Commands;

namespace NetScsi.Scsi.Emulation;

public sealed partial class BlockLogicalUnit
{
    private const byte CachingPageCode = 0x08;
    private const byte ControlPageCode = 0x0A;
    private const byte InformationalExceptionsPageCode = 0x1C;
    private const byte AllPagesCode = 0x3F;
    private const int MaxModePageLength = 20;
    private const int ModeSenseBufferLength = 256;

    // SPC-4 §6.11 PAGE CONTROL values.
    private const int PageControlCurrent = 0;
    private const int PageControlChangeable = 1;
    private const int PageControlDefault = 2;
    private const int PageControlSaved = 3;

    /// <summary>
    /// Writes one mode page for the given page control; returns its length, or -1 for a page not
    /// implemented here. Only WCE (Caching), D_SENSE and SWP (Control) are changeable.
    /// </summary>
    private int WriteModePage(Span<byte> d, int pageCode, int pageControl)
    {
        switch (pageCode)
        {
            case CachingPageCode:
                // SBC-4 §6.5.4: Caching mode page.
                d[..20].Clear();
                d[0] = CachingPageCode;
                d[1] = 0x12;
                d[2] = pageControl switch
                {
                    PageControlChangeable => 0x04,
                    PageControlDefault => DefaultWriteCacheEnabled ? (byte)0x04 : (byte)0x00,
                    _ => _writeCacheEnabled ? (byte)0x04 : (byte)0x00,
                };
                return 20;

            case ControlPageCode:
                // SPC-4 §7.5.8: Control mode page. TST = 000b (one task set), GLTSD = 1 (no log
                // parameters saved), QUEUE ALGORITHM MODIFIER = 1 (unrestricted reordering), QERR = 00b.
                d[..12].Clear();
                d[0] = ControlPageCode;
                d[1] = 0x0A;
                if (pageControl == PageControlChangeable)
                {
                    d[2] = 0x04; // D_SENSE
                    d[4] = 0x08; // SWP
                    return 12;
                }
                bool current = pageControl == PageControlCurrent;
                d[2] = (byte)(0x02 | (current && _descriptorSense ? 0x04 : 0x00));
                d[3] = 0x10;
                d[4] = current && _softwareWriteProtect ? (byte)0x08 : (byte)0x00;
                return 12;

            case InformationalExceptionsPageCode:
                // SPC-4 §7.5.12: Informational Exceptions Control mode page; DEXCPT = 1, nothing changeable.
                d[..12].Clear();
                d[0] = InformationalExceptionsPageCode;
                d[1] = 0x0A;
                if (pageControl != PageControlChangeable)
                {
                    d[2] = 0x08;
                }
                return 12;

            default:
                return -1;
        }
    }

    /// <summary>SPC-4 §6.11 / §6.12: MODE SENSE (6) and (10).</summary>
    private void ModeSense(ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        bool ten = cdb[0] == ScsiOpcode.ModeSense10;
        bool disableBlockDescriptors = (cdb[1] & 0x08) != 0;
        bool longLba = ten && (cdb[1] & 0x10) != 0;
        int pageControl = cdb[2] >> 6;
        int pageCode = cdb[2] & 0x3F;
        byte subpageCode = cdb[3];
        int allocationLength = ten ? CdbDecoder.ReadUInt16(cdb, 7) : cdb[4];

        if (pageControl == PageControlSaved)
        {
            // SPC-4 §6.11.1: no savable pages.
            task.CheckCondition(SenseKey.IllegalRequest, Asc.SavingParametersNotSupported);
            return;
        }
        // Only subpage 00h exists; 3Fh/FFh asks for all pages and subpages, which is the same set.
        if (subpageCode != 0 && !(pageCode == AllPagesCode && subpageCode == 0xFF))
        {
            task.InvalidFieldInCdb(3);
            return;
        }

        Span<byte> d = stackalloc byte[ModeSenseBufferLength];
        d.Clear();
        int headerLength = ten ? 8 : 4;
        int offset = headerLength;
        int blockDescriptorLength = 0;
        if (!disableBlockDescriptors)
        {
            long blocks = _device.BlockCount;
            if (longLba)
            {
                // SPC-4 §7.5.6.3: long LBA mode parameter block descriptor.
                BinaryPrimitives.WriteUInt64BigEndian(d[offset..], (ulong)blocks);
                BinaryPrimitives.WriteUInt32BigEndian(d[(offset + 12)..], (uint)_blockSize);
                blockDescriptorLength = 16;
            }
            else
            {
                // SBC-4 §6.5.2: short LBA block descriptor; a capacity beyond 32 bits reports FFFFFFFFh.
                BinaryPrimitives.WriteUInt32BigEndian(d[offset..], blocks > uint.MaxValue ? uint.MaxValue : (uint)blocks);
                BinaryPrimitives.WriteUInt32BigEndian(d[(offset + 4)..], (uint)_blockSize & 0x00FF_FFFF);
                blockDescriptorLength = 8;
            }
            offset += blockDescriptorLength;
        }

        if (pageCode == AllPagesCode)
        {
            offset += WriteModePage(d[offset..], CachingPageCode, pageControl);
            offset += WriteModePage(d[offset..], ControlPageCode, pageControl);
            offset += WriteModePage(d[offset..], InformationalExceptionsPageCode, pageControl);
        }
        else
        {
            int n = WriteModePage(d[offset..], pageCode, pageControl);
            if (n < 0)
            {
                task.InvalidFieldInCdb(2, 5);
                return;
            }
            offset += n;
        }

        // SBC-4 §6.5.1: DEVICE-SPECIFIC PARAMETER: WP (bit 7), DPOFUA (bit 4).
        byte deviceSpecific = (byte)((IsWriteProtected ? 0x80 : 0x00) | 0x10);
        if (ten)
        {
            BinaryPrimitives.WriteUInt16BigEndian(d, (ushort)(offset - 2));
            d[3] = deviceSpecific;
            d[4] = longLba && !disableBlockDescriptors ? (byte)0x01 : (byte)0x00; // LONGLBA
            BinaryPrimitives.WriteUInt16BigEndian(d[6..], (ushort)blockDescriptorLength);
        }
        else
        {
            d[0] = (byte)(offset - 1);
            d[2] = deviceSpecific;
            d[3] = (byte)blockDescriptorLength;
        }
        CompleteDataIn(task, d[..offset], allocationLength);
    }

    /// <summary>
    /// SPC-4 §6.9 / §6.10: MODE SELECT (6) and (10). Every page is checked before anything changes; a
    /// change is announced to the other nexuses as MODE PARAMETERS CHANGED (SPC-4 §5.14).
    /// </summary>
    private void ModeSelect(ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        bool ten = cdb[0] == ScsiOpcode.ModeSelect10;
        if ((cdb[1] & 0x01) != 0)
        {
            // SP = 1: no savable pages (SPC-4 §6.9).
            task.InvalidFieldInCdb(1, 0);
            return;
        }
        int parameterListLength = ten ? CdbDecoder.ReadUInt16(cdb, 7) : cdb[4];
        task.CommandTransferLength = parameterListLength;
        if (parameterListLength == 0)
        {
            return;
        }
        ReadOnlySpan<byte> data = task.Buffer.Span[..DataOutLength(task)];
        int headerLength = ten ? 8 : 4;
        if (data.Length < parameterListLength || parameterListLength < headerLength)
        {
            task.CheckCondition(SenseKey.IllegalRequest, Asc.ParameterListLengthError);
            return;
        }
        data = data[..parameterListLength];

        int blockDescriptorLength = ten ? BinaryPrimitives.ReadUInt16BigEndian(data[6..]) : data[3];
        bool longLba = ten && (data[4] & 0x01) != 0;
        int expectedDescriptorLength = longLba ? 16 : 8;
        if (blockDescriptorLength != 0 && blockDescriptorLength != expectedDescriptorLength)
        {
            task.InvalidFieldInParameterList(ten ? 6 : 3);
            return;
        }
        if (headerLength + blockDescriptorLength > parameterListLength)
        {
            task.CheckCondition(SenseKey.IllegalRequest, Asc.ParameterListLengthError);
            return;
        }
        if (blockDescriptorLength != 0)
        {
            // The logical block length cannot change; 0 keeps the current one.
            int lengthOffset = headerLength + (longLba ? 12 : 5);
            uint blockLength = longLba
                ? BinaryPrimitives.ReadUInt32BigEndian(data[lengthOffset..])
                : (uint)((data[lengthOffset] << 16) | (data[lengthOffset + 1] << 8) | data[lengthOffset + 2]);
            if (blockLength != 0 && blockLength != (uint)_blockSize)
            {
                task.InvalidFieldInParameterList(lengthOffset);
                return;
            }
        }

        bool writeCache = _writeCacheEnabled;
        bool descriptorSense = _descriptorSense;
        bool softwareWriteProtect = _softwareWriteProtect;
        Span<byte> current = stackalloc byte[MaxModePageLength];
        Span<byte> changeable = stackalloc byte[MaxModePageLength];
        int offset = headerLength + blockDescriptorLength;
        while (offset < parameterListLength)
        {
            if (offset + 2 > parameterListLength)
            {
                task.CheckCondition(SenseKey.IllegalRequest, Asc.ParameterListLengthError);
                return;
            }
            if ((data[offset] & 0x40) != 0)
            {
                // SPF: no subpages here.
                task.InvalidFieldInParameterList(offset, 6);
                return;
            }
            int pageCode = data[offset] & 0x3F;
            int length = WriteModePage(current, pageCode, PageControlCurrent);
            if (length < 0)
            {
                task.InvalidFieldInParameterList(offset, 5);
                return;
            }
            if (data[offset + 1] != length - 2)
            {
                task.InvalidFieldInParameterList(offset + 1);
                return;
            }
            if (offset + length > parameterListLength)
            {
                task.CheckCondition(SenseKey.IllegalRequest, Asc.ParameterListLengthError);
                return;
            }
            WriteModePage(changeable, pageCode, PageControlChangeable);
            ReadOnlySpan<byte> page = data.Slice(offset, length);
            for (int i = 2; i < length; i++)
            {
                // SPC-4 §6.9: a value different from the current one in a field that is not changeable.
                if (((page[i] ^ current[i]) & ~changeable[i]) != 0)
                {
                    task.InvalidFieldInParameterList(offset + i);
                    return;
                }
            }
            if (pageCode == CachingPageCode)
            {
                writeCache = (page[2] & 0x04) != 0;
            }
            else if (pageCode == ControlPageCode)
            {
                descriptorSense = (page[2] & 0x04) != 0;
                // SPC-4 §7.5.8: SWP = 1 write protects the medium (SBC-4 §4.11).
                softwareWriteProtect = (page[4] & 0x08) != 0;
            }
            offset += length;
        }

        if (writeCache != _writeCacheEnabled || descriptorSense != _descriptorSense || softwareWriteProtect != _softwareWriteProtect)
        {
            _writeCacheEnabled = writeCache;
            _descriptorSense = descriptorSense;
            _softwareWriteProtect = softwareWriteProtect;
            RaiseUnitAttention(Asc.ModeParametersChanged, except: task.Nexus);
        }
    }
}
