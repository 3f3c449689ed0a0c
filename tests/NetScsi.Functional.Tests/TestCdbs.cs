using NetScsi.Scsi.Commands;

namespace NetScsi.Functional.Tests;

/// <summary>CDBs for the tests, from the builders the initiator uses.</summary>
internal static class TestCdbs
{
    public static byte[] Block(byte opcode, ulong lba, uint blocks, byte flags = 0)
    {
        byte[] cdb = new byte[CdbDecoder.GetCdbLength(opcode)];
        BlockCdb.Create(opcode, lba, blocks, flags).WriteTo(cdb);
        return cdb;
    }

    public static byte[] Read10(uint lba, ushort blocks) => Block(ScsiOpcode.Read10, lba, blocks);

    public static byte[] Write10(uint lba, ushort blocks) => Block(ScsiOpcode.Write10, lba, blocks);
}
