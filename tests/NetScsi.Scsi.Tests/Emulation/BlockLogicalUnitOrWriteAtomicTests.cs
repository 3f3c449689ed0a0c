using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Emulation;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;

namespace NetScsi.Scsi.Tests.Emulation;

public sealed class BlockLogicalUnitOrWriteAtomicTests
{
    private static byte[] Pattern(int blocks, byte value) => Enumerable.Repeat(value, blocks * 512).ToArray();

    [Fact]
    public async Task OrWrite16_OrsDataIntoMedium()
    {
        LuHarness h = await CreateAsync();
        h.Device.Fill(10, 2, 0xA5);

        AssertGood(await h.RunAsync(Cdbs.Rw16(ScsiOpcode.OrWrite16, 10, 2), dataOut: Pattern(2, 0x5A)));

        Assert.Equal(0xFF, h.Device.Block(10)[0]);
        Assert.Equal(0xFF, h.Device.Block(11)[511]);
        Assert.Equal(0x00, h.Device.Block(12)[0]);
    }

    [Fact]
    public async Task OrWrite16_BeyondEnd_ReturnsLbaOutOfRange()
    {
        LuHarness h = await CreateAsync(blocks: 100);

        AssertCheckCondition(await h.RunAsync(Cdbs.Rw16(ScsiOpcode.OrWrite16, 99, 2), dataOut: Pattern(2, 1)), SenseKey.IllegalRequest, Asc.LbaOutOfRange);
    }

    [Fact]
    public async Task OrWrite16_OrProtectSet_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();

        AssertCheckCondition(await h.RunAsync(Cdbs.Rw16(ScsiOpcode.OrWrite16, 0, 1, 0x20), dataOut: Pattern(1, 1)), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task OrWrite16_WriteProtected_ReturnsDataProtect()
    {
        LuHarness h = await CreateAsync(options: new LogicalUnitOptions { ReadOnly = true });

        AssertCheckCondition(await h.RunAsync(Cdbs.Rw16(ScsiOpcode.OrWrite16, 0, 1), dataOut: Pattern(1, 1)), SenseKey.DataProtect, Asc.WriteProtected);
    }

    [Fact]
    public async Task OrWrite16_ZeroBlocks_IsGood()
    {
        LuHarness h = await CreateAsync();

        AssertGood(await h.RunAsync(Cdbs.Rw16(ScsiOpcode.OrWrite16, 0, 0)));
    }

    [Fact]
    public async Task OrWrite16_RunsExclusivelyOfInFlightWrites()
    {
        LuHarness h = await CreateAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Device.Gate = gate;
        Task<ScsiTask> write = h.RunAsync(Cdbs.Write10(0, 1), dataOut: Pattern(1, 0x0F));
        Task<ScsiTask> orWrite = h.RunAsync(Cdbs.Rw16(ScsiOpcode.OrWrite16, 0, 1), dataOut: Pattern(1, 0xF0));
        await Task.Delay(30);
        Assert.False(orWrite.IsCompleted);

        h.Device.Gate = null;
        gate.SetResult();
        AssertGood(await write);
        AssertGood(await orWrite);

        // The ORWRITE read the block only after the older WRITE completed.
        Assert.Equal(0xFF, h.Device.Block(0)[0]);
    }

    private static byte[] WriteAtomic16(ulong lba, ushort blocks, byte flags = 0, ushort boundary = 0)
    {
        byte[] cdb = Cdbs.Rw16(ScsiOpcode.WriteAtomic16, lba, 0, flags);
        cdb[10] = (byte)(boundary >> 8);
        cdb[11] = (byte)boundary;
        cdb[12] = (byte)(blocks >> 8);
        cdb[13] = (byte)blocks;
        return cdb;
    }

    [Fact]
    public async Task WriteAtomic16_WritesAllBlocks()
    {
        LuHarness h = await CreateAsync();

        AssertGood(await h.RunAsync(WriteAtomic16(4, 3, flags: 0x18), dataOut: Pattern(3, 0x77)));

        Assert.Equal(0x77, h.Device.Block(4)[0]);
        Assert.Equal(0x77, h.Device.Block(6)[511]);
        Assert.Equal(1, h.Device.FuaWrites);
    }

    [Fact]
    public async Task WriteAtomic16_PartialDataOut_WritesNothing()
    {
        LuHarness h = await CreateAsync();

        AssertCheckCondition(await h.RunAsync(WriteAtomic16(0, 3), dataOut: Pattern(2, 0x77)), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
        Assert.Equal(0, h.Device.Block(0)[0]);
    }

    [Fact]
    public async Task WriteAtomic16_AboveMaximumAtomicLength_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync(options: new LogicalUnitOptions { MaxTransferLengthBlocks = 4 });

        AssertCheckCondition(await h.RunAsync(WriteAtomic16(0, 5), dataOut: Pattern(5, 1)), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task WriteAtomic16_AtomicBoundary_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();

        AssertCheckCondition(await h.RunAsync(WriteAtomic16(0, 1, boundary: 1), dataOut: Pattern(1, 1)), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task WriteAtomic16_BeyondEnd_ReturnsLbaOutOfRange()
    {
        LuHarness h = await CreateAsync(blocks: 100);

        AssertCheckCondition(await h.RunAsync(WriteAtomic16(0x8000_0000_0000_0000, 0)), SenseKey.IllegalRequest, Asc.LbaOutOfRange);
        AssertCheckCondition(await h.RunAsync(WriteAtomic16(99, 2), dataOut: Pattern(2, 1)), SenseKey.IllegalRequest, Asc.LbaOutOfRange);
    }

    [Fact]
    public async Task WriteAtomic16_WriteProtected_ReturnsDataProtect()
    {
        LuHarness h = await CreateAsync(options: new LogicalUnitOptions { ReadOnly = true });

        AssertCheckCondition(await h.RunAsync(WriteAtomic16(0, 1), dataOut: Pattern(1, 1)), SenseKey.DataProtect, Asc.WriteProtected);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadDefectData_ReturnsEmptyListWithRequestedLists(bool twelve)
    {
        LuHarness h = await CreateAsync();
        byte[] cdb = twelve
            ? [ScsiOpcode.ReadDefectData12, 0x18 | 0x04, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0]
            : [ScsiOpcode.ReadDefectData10, 0, 0x18 | 0x04, 0, 0, 0, 0, 0, 32, 0];

        ScsiTask task = await h.RunAsync(cdb, dataIn: 32);

        AssertGood(task);
        ReadOnlySpan<byte> d = DataIn(task);
        Assert.Equal(twelve ? 8 : 4, d.Length);
        Assert.Equal(0x1C, d[1]); // PLISTV, GLISTV, format 100b
        Assert.Equal(0, twelve ? (int)U32(d, 4) : U16(d, 2)); // DEFECT LIST LENGTH
    }

    [Fact]
    public async Task ReadDefectData10_ReservedFormat_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();

        AssertCheckCondition(await h.RunAsync([ScsiOpcode.ReadDefectData10, 0, 0x07, 0, 0, 0, 0, 0, 32, 0], dataIn: 32), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(1)]
    public async Task CompareAndWrite_DataOutNotTwoHalves_ReturnsInvalidFieldInCdb(int blocksSent)
    {
        LuHarness h = await CreateAsync();
        byte[] cdb = new byte[16];
        cdb[0] = ScsiOpcode.CompareAndWrite;
        cdb[13] = 1;

        AssertCheckCondition(await h.RunAsync(cdb, dataOut: new byte[blocksSent * 512]), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task ReportSupportedOperationCodes_ListsOrWriteAtomicAndDefectData()
    {
        LuHarness h = await CreateAsync();
        foreach (byte opcode in new[] { ScsiOpcode.OrWrite16, ScsiOpcode.WriteAtomic16, ScsiOpcode.ReadDefectData10, ScsiOpcode.ReadDefectData12 })
        {
            ScsiTask task = await h.RunAsync(Cdbs.ReportSupportedOperationCodes(1, opcode, rctd: true), dataIn: 4096);
            AssertGood(task);
            Assert.Equal(0x83, DataIn(task)[1]); // CTDP, SUPPORT 011b
            Assert.Equal(opcode, DataIn(task)[4]);
        }
    }
}
