using System.Buffers.Binary;
using NetScsi.Scsi.Commands;

namespace NetScsi.Scsi.Tests.Emulation;

/// <summary>CDB builders for tests.</summary>
internal static class Cdbs
{
    public static byte[] TestUnitReady() => new byte[6];

    public static byte[] RequestSense(byte allocationLength = 252, bool desc = false) =>
        [ScsiOpcode.RequestSense, (byte)(desc ? 1 : 0), 0, 0, allocationLength, 0];

    public static byte[] Inquiry(bool evpd = false, byte page = 0, ushort allocationLength = 255)
    {
        byte[] c = [ScsiOpcode.Inquiry, (byte)(evpd ? 1 : 0), page, 0, 0, 0];
        BinaryPrimitives.WriteUInt16BigEndian(c.AsSpan(3), allocationLength);
        return c;
    }

    public static byte[] Read6(uint lba, byte blocks) => [ScsiOpcode.Read6, (byte)((lba >> 16) & 0x1F), (byte)(lba >> 8), (byte)lba, blocks, 0];

    public static byte[] Write6(uint lba, byte blocks) => [ScsiOpcode.Write6, (byte)((lba >> 16) & 0x1F), (byte)(lba >> 8), (byte)lba, blocks, 0];

    public static byte[] Rw10(byte opcode, uint lba, ushort blocks, byte flags = 0)
    {
        byte[] c = new byte[10];
        c[0] = opcode;
        c[1] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(2), lba);
        BinaryPrimitives.WriteUInt16BigEndian(c.AsSpan(7), blocks);
        return c;
    }

    public static byte[] Rw12(byte opcode, uint lba, uint blocks, byte flags = 0)
    {
        byte[] c = new byte[12];
        c[0] = opcode;
        c[1] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(2), lba);
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(6), blocks);
        return c;
    }

    public static byte[] Rw16(byte opcode, ulong lba, uint blocks, byte flags = 0)
    {
        byte[] c = new byte[16];
        c[0] = opcode;
        c[1] = flags;
        BinaryPrimitives.WriteUInt64BigEndian(c.AsSpan(2), lba);
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(10), blocks);
        return c;
    }

    public static byte[] Read10(uint lba, ushort blocks, byte flags = 0) => Rw10(ScsiOpcode.Read10, lba, blocks, flags);

    public static byte[] Write10(uint lba, ushort blocks, byte flags = 0) => Rw10(ScsiOpcode.Write10, lba, blocks, flags);

    public static byte[] Read16(ulong lba, uint blocks, byte flags = 0) => Rw16(ScsiOpcode.Read16, lba, blocks, flags);

    public static byte[] Write16(ulong lba, uint blocks, byte flags = 0) => Rw16(ScsiOpcode.Write16, lba, blocks, flags);

    public static byte[] ReadCapacity10() => [ScsiOpcode.ReadCapacity10, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    public static byte[] ServiceActionIn16(byte serviceAction, ulong lba, uint allocationLength)
    {
        byte[] c = new byte[16];
        c[0] = ScsiOpcode.ServiceActionIn16;
        c[1] = serviceAction;
        BinaryPrimitives.WriteUInt64BigEndian(c.AsSpan(2), lba);
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(10), allocationLength);
        return c;
    }

    public static byte[] ReadCapacity16(uint allocationLength = 32) => ServiceActionIn16(ScsiOpcode.ReadCapacity16ServiceAction, 0, allocationLength);

    public static byte[] GetLbaStatus(ulong lba, uint allocationLength = 24) => ServiceActionIn16(ScsiOpcode.GetLbaStatusServiceAction, lba, allocationLength);

    public static byte[] Unmap(ushort parameterListLength)
    {
        byte[] c = new byte[10];
        c[0] = ScsiOpcode.Unmap;
        BinaryPrimitives.WriteUInt16BigEndian(c.AsSpan(7), parameterListLength);
        return c;
    }

    public static byte[] UnmapParameters(params (ulong Lba, uint Blocks)[] descriptors)
    {
        byte[] p = new byte[8 + (16 * descriptors.Length)];
        BinaryPrimitives.WriteUInt16BigEndian(p, (ushort)(p.Length - 2));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)(16 * descriptors.Length));
        for (int i = 0; i < descriptors.Length; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(p.AsSpan(8 + (16 * i)), descriptors[i].Lba);
            BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(16 + (16 * i)), descriptors[i].Blocks);
        }
        return p;
    }

    public static byte[] ModeSense6(byte page, int pageControl = 0, bool dbd = false, byte allocationLength = 255, byte subpage = 0) =>
        [ScsiOpcode.ModeSense6, (byte)(dbd ? 0x08 : 0), (byte)((pageControl << 6) | page), subpage, allocationLength, 0];

    public static byte[] ModeSense10(byte page, int pageControl = 0, bool dbd = false, bool llbaa = false, ushort allocationLength = 1024)
    {
        byte[] c = new byte[10];
        c[0] = ScsiOpcode.ModeSense10;
        c[1] = (byte)((dbd ? 0x08 : 0) | (llbaa ? 0x10 : 0));
        c[2] = (byte)((pageControl << 6) | page);
        BinaryPrimitives.WriteUInt16BigEndian(c.AsSpan(7), allocationLength);
        return c;
    }

    public static byte[] ModeSelect6(byte parameterListLength, bool sp = false) =>
        [ScsiOpcode.ModeSelect6, (byte)(0x10 | (sp ? 1 : 0)), 0, 0, parameterListLength, 0];

    public static byte[] ModeSelect10(ushort parameterListLength)
    {
        byte[] c = new byte[10];
        c[0] = ScsiOpcode.ModeSelect10;
        c[1] = 0x10;
        BinaryPrimitives.WriteUInt16BigEndian(c.AsSpan(7), parameterListLength);
        return c;
    }

    public static byte[] StartStopUnit(bool start, bool loej, byte powerCondition = 0) =>
        [ScsiOpcode.StartStopUnit, 0, 0, 0, (byte)((powerCondition << 4) | (loej ? 2 : 0) | (start ? 1 : 0)), 0];

    public static byte[] PreventAllow(byte prevent) => [ScsiOpcode.PreventAllowMediumRemoval, 0, 0, 0, prevent, 0];

    public static byte[] ReportLuns(byte selectReport = 0, uint allocationLength = 4096)
    {
        byte[] c = new byte[12];
        c[0] = ScsiOpcode.ReportLuns;
        c[2] = selectReport;
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(6), allocationLength);
        return c;
    }

    public static byte[] ReportSupportedOperationCodes(int options, byte opcode = 0, ushort serviceAction = 0, bool rctd = false, uint allocationLength = 4096)
    {
        byte[] c = new byte[12];
        c[0] = ScsiOpcode.MaintenanceIn;
        c[1] = ScsiOpcode.ReportSupportedOperationCodesServiceAction;
        c[2] = (byte)((rctd ? 0x80 : 0) | options);
        c[3] = opcode;
        BinaryPrimitives.WriteUInt16BigEndian(c.AsSpan(4), serviceAction);
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(6), allocationLength);
        return c;
    }
}
