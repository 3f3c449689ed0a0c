using System.Buffers.Binary;
using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Emulation;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;

namespace NetScsi.Scsi.Tests.Emulation;

public sealed class BlockLogicalUnitReadWriteTests
{
    [Fact]
    public async Task Write10ThenRead10_RoundTripsData()
    {
        LuHarness h = await CreateAsync();
        byte[] data = new byte[2 * 512];
        Random.Shared.NextBytes(data);

        AssertGood(await h.RunAsync(Cdbs.Write10(10, 2), dataOut: data));
        ScsiTask read = await h.RunAsync(Cdbs.Read10(10, 2), dataIn: 1024);

        AssertGood(read);
        Assert.Equal(1024, read.DataInLength);
        Assert.Equal(1024, read.CommandTransferLength);
        Assert.Equal(data, DataIn(read).ToArray());
    }

    [Fact]
    public async Task Read6_ZeroLength_Reads256Blocks()
    {
        LuHarness h = await CreateAsync();
        h.Device.Fill(255, 1, 0xAB);

        ScsiTask read = await h.RunAsync(Cdbs.Read6(0, 0), dataIn: 256 * 512);

        AssertGood(read);
        Assert.Equal(256 * 512, read.DataInLength);
        Assert.Equal(0xAB, read.Buffer.Span[(255 * 512) + 7]);
    }

    [Fact]
    public async Task Write6_AndRead12_Read16_SeeTheSameData()
    {
        LuHarness h = await CreateAsync();
        byte[] data = Enumerable.Repeat((byte)0x5A, 512).ToArray();

        AssertGood(await h.RunAsync(Cdbs.Write6(3, 1), dataOut: data));
        ScsiTask r12 = await h.RunAsync(Cdbs.Rw12(ScsiOpcode.Read12, 3, 1), dataIn: 512);
        ScsiTask r16 = await h.RunAsync(Cdbs.Read16(3, 1), dataIn: 512);

        Assert.Equal(data, DataIn(r12).ToArray());
        Assert.Equal(data, DataIn(r16).ToArray());
    }

    [Fact]
    public async Task Read10_BeyondEndOfLun_ReturnsLbaOutOfRange()
    {
        LuHarness h = await CreateAsync(blocks: 100);

        ScsiTask task = await h.RunAsync(Cdbs.Read10(99, 2), dataIn: 1024);

        AssertCheckCondition(task, SenseKey.IllegalRequest, Asc.LbaOutOfRange);
        Assert.Equal(0, task.DataInLength);
    }

    [Theory]
    [InlineData(100UL)]
    [InlineData(0x8000_0000_0000_0000UL)]
    [InlineData(ulong.MaxValue)]
    public async Task Read16_HugeLba_ReturnsLbaOutOfRange(ulong lba)
    {
        LuHarness h = await CreateAsync(blocks: 100);

        AssertCheckCondition(await h.RunAsync(Cdbs.Read16(lba, 1), dataIn: 512), SenseKey.IllegalRequest, Asc.LbaOutOfRange);
    }

    [Fact]
    public async Task Read10_ZeroBlocksAtEnd_IsGood()
    {
        LuHarness h = await CreateAsync(blocks: 100);

        AssertGood(await h.RunAsync(Cdbs.Read10(100, 0)));
        AssertCheckCondition(await h.RunAsync(Cdbs.Read10(101, 0)), SenseKey.IllegalRequest, Asc.LbaOutOfRange);
    }

    [Fact]
    public async Task Write10_BeyondEndOfLun_ReturnsLbaOutOfRangeAndWritesNothing()
    {
        LuHarness h = await CreateAsync(blocks: 100);

        ScsiTask task = await h.RunAsync(Cdbs.Write10(99, 2), dataOut: new byte[1024]);

        AssertCheckCondition(task, SenseKey.IllegalRequest, Asc.LbaOutOfRange);
        Assert.Equal(0, h.Device.Writes);
    }

    [Fact]
    public async Task Read10_TransferLengthAboveMaximum_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync(blocks: 1024, options: new LogicalUnitOptions { MaxTransferLengthBlocks = 16 });

        ScsiTask task = await h.RunAsync(Cdbs.Read10(0, 17), dataIn: 17 * 512);

        AssertCheckCondition(task, SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
        Assert.True(SenseData.TryGetKeySpecific(task.Sense, out SenseKeySpecific sks));
        Assert.True(sks.CommandData);
        Assert.Equal(7, sks.FieldPointerOffset);
    }

    [Fact]
    public void MaxTransferLength_DefaultsToEightMebibytes()
    {
        var unit = new BlockLogicalUnit(new TestBlockDevice(blockSize: 4096), new LogicalUnitOptions());
        Assert.Equal(2048u, unit.MaxTransferLengthBlocks);
    }

    [Fact]
    public async Task Read10_RdProtectSet_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();

        AssertCheckCondition(await h.RunAsync(Cdbs.Read10(0, 1, 0x20), dataIn: 512), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task Read10_BufferSmallerThanTransfer_ReturnsWhatFitsAndReportsFullLength()
    {
        LuHarness h = await CreateAsync();
        h.Device.Fill(0, 2, 0x11);

        ScsiTask task = await h.RunAsync(Cdbs.Read10(0, 2), dataIn: 700);

        AssertGood(task);
        Assert.Equal(700, task.DataInLength);
        Assert.Equal(1024, task.CommandTransferLength);
        Assert.All(DataIn(task).ToArray(), b => Assert.Equal(0x11, b));
    }

    [Fact]
    public async Task Write10_EdtlSmallerThanTransferLength_WritesOnlyWholeBlocksReceived()
    {
        // libiscsi iSCSIResiduals: WRITE(10) of 2 blocks with EDTL = 1 block is GOOD, block 2 untouched.
        LuHarness h = await CreateAsync();
        h.Device.Fill(0, 2, (byte)'a');

        ScsiTask task = await h.RunAsync(Cdbs.Write10(0, 2), dataOut: Enumerable.Repeat((byte)'b', 512).ToArray());

        AssertGood(task);
        Assert.Equal(1024, task.CommandTransferLength);
        Assert.Equal((byte)'b', h.Device.Block(0)[0]);
        Assert.Equal((byte)'a', h.Device.Block(1)[0]);
    }

    [Fact]
    public async Task Write10_EdtlLargerThanTransferLength_WritesOnlyTransferLength()
    {
        LuHarness h = await CreateAsync();
        h.Device.Fill(0, 2, (byte)'a');

        ScsiTask task = await h.RunAsync(Cdbs.Write10(0, 1), dataOut: Enumerable.Repeat((byte)'b', 1024).ToArray());

        AssertGood(task);
        Assert.Equal(512, task.CommandTransferLength);
        Assert.Equal((byte)'a', h.Device.Block(1)[0]);
    }

    [Fact]
    public async Task Write10_PartialBlockReceived_IsGoodAndWritesNothing()
    {
        LuHarness h = await CreateAsync();

        ScsiTask task = await h.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[200]);

        AssertGood(task);
        Assert.Equal(0, h.Device.Writes);
    }

    [Fact]
    public async Task Write10_Fua_ForcesUnitAccess()
    {
        LuHarness h = await CreateAsync();

        AssertGood(await h.RunAsync(Cdbs.Write10(0, 1, 0x08), dataOut: new byte[512]));
        Assert.Equal(1, h.Device.FuaWrites);
        AssertGood(await h.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512]));
        Assert.Equal(1, h.Device.FuaWrites);
    }

    [Fact]
    public async Task Write10_ReadOnlyLun_ReturnsWriteProtected()
    {
        LuHarness h = await CreateAsync(options: new LogicalUnitOptions { ReadOnly = true });

        AssertCheckCondition(await h.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512]), SenseKey.DataProtect, Asc.WriteProtected);
        Assert.Equal(0, h.Device.Writes);
    }

    [Fact]
    public async Task Write16_ReadOnlyDevice_ReturnsWriteProtected()
    {
        LuHarness h = await CreateAsync(readOnlyDevice: true);

        AssertCheckCondition(await h.RunAsync(Cdbs.Write16(0, 1), dataOut: new byte[512]), SenseKey.DataProtect, Asc.WriteProtected);
    }

    [Fact]
    public async Task Read10_StorageFailure_ReturnsUnrecoveredReadError()
    {
        LuHarness h = await CreateAsync();
        h.Device.FailReads = true;

        AssertCheckCondition(await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512), SenseKey.MediumError, Asc.UnrecoveredReadError);
    }

    [Fact]
    public async Task Write10_StorageFailure_ReturnsWriteError()
    {
        LuHarness h = await CreateAsync();
        h.Device.FailWrites = true;

        AssertCheckCondition(await h.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512]), SenseKey.MediumError, Asc.WriteError);
    }

    [Fact]
    public async Task Write10_OutOfSpace_ReturnsSpaceAllocationFailed()
    {
        LuHarness h = await CreateAsync();
        h.Device.FailWritesOutOfSpace = true;

        AssertCheckCondition(await h.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512]), SenseKey.DataProtect, Asc.SpaceAllocationFailedWriteProtect);
    }

    [Fact]
    public async Task WriteAndVerify10_WritesThrough()
    {
        LuHarness h = await CreateAsync();
        byte[] data = Enumerable.Repeat((byte)7, 512).ToArray();

        AssertGood(await h.RunAsync(Cdbs.Rw10(ScsiOpcode.WriteAndVerify10, 4, 1, 0x02), dataOut: data));

        Assert.Equal(7, h.Device.Block(4)[100]);
        Assert.Equal(1, h.Device.FuaWrites);
    }

    [Fact]
    public async Task WriteAndVerify16_BeyondEnd_ReturnsLbaOutOfRange()
    {
        LuHarness h = await CreateAsync(blocks: 10);

        AssertCheckCondition(await h.RunAsync(Cdbs.Rw16(ScsiOpcode.WriteAndVerify16, 10, 1), dataOut: new byte[512]), SenseKey.IllegalRequest, Asc.LbaOutOfRange);
    }

    [Fact]
    public async Task Verify10_BytChkZero_ChecksRangeOnly()
    {
        LuHarness h = await CreateAsync(blocks: 10);

        AssertGood(await h.RunAsync(Cdbs.Rw10(ScsiOpcode.Verify10, 0, 10)));
        AssertCheckCondition(await h.RunAsync(Cdbs.Rw10(ScsiOpcode.Verify10, 5, 6)), SenseKey.IllegalRequest, Asc.LbaOutOfRange);
    }

    [Fact]
    public async Task Verify10_BytChk_MatchingDataIsGood()
    {
        LuHarness h = await CreateAsync();
        h.Device.Fill(2, 2, 0x42);

        AssertGood(await h.RunAsync(Cdbs.Rw10(ScsiOpcode.Verify10, 2, 2, 0x02), dataOut: Enumerable.Repeat((byte)0x42, 1024).ToArray()));
    }

    [Fact]
    public async Task Verify10_BytChk_MismatchReportsMiscompareWithOffset()
    {
        LuHarness h = await CreateAsync();
        h.Device.Fill(2, 2, 0x42);
        byte[] expected = Enumerable.Repeat((byte)0x42, 1024).ToArray();
        expected[700] = 0x43;

        ScsiTask task = await h.RunAsync(Cdbs.Rw10(ScsiOpcode.Verify10, 2, 2, 0x02), dataOut: expected);

        AssertCheckCondition(task, SenseKey.Miscompare, Asc.MiscompareDuringVerifyOperation);
        Assert.True(SenseData.TryGetInformation(task.Sense, out ulong offset));
        Assert.Equal(700UL, offset);
    }

    [Fact]
    public async Task Verify16_BytChk11_ComparesOneBlockWithEveryBlock()
    {
        LuHarness h = await CreateAsync();
        h.Device.Fill(0, 4, 0x42);
        h.Device.Block(3)[5] = 0;
        byte[] pattern = Enumerable.Repeat((byte)0x42, 512).ToArray();

        AssertGood(await h.RunAsync(Cdbs.Rw16(ScsiOpcode.Verify16, 0, 3, 0x06), dataOut: pattern));
        ScsiTask task = await h.RunAsync(Cdbs.Rw16(ScsiOpcode.Verify16, 0, 4, 0x06), dataOut: pattern);

        AssertCheckCondition(task, SenseKey.Miscompare, Asc.MiscompareDuringVerifyOperation);
        Assert.True(SenseData.TryGetInformation(task.Sense, out ulong offset));
        Assert.Equal((ulong)((3 * 512) + 5), offset);
    }

    [Fact]
    public async Task Verify12_BytChkReservedValue_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();

        AssertCheckCondition(await h.RunAsync(Cdbs.Rw12(ScsiOpcode.Verify12, 0, 1, 0x04), dataOut: new byte[512]), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task SynchronizeCache10_FlushesDevice()
    {
        LuHarness h = await CreateAsync();

        AssertGood(await h.RunAsync(Cdbs.Rw10(ScsiOpcode.SynchronizeCache10, 0, 0)));
        AssertGood(await h.RunAsync(Cdbs.Rw16(ScsiOpcode.SynchronizeCache16, 0, 0)));

        Assert.Equal(2, h.Device.Flushes);
    }

    [Fact]
    public async Task SynchronizeCache16_BeyondEnd_ReturnsLbaOutOfRange()
    {
        LuHarness h = await CreateAsync(blocks: 10);

        AssertCheckCondition(await h.RunAsync(Cdbs.Rw16(ScsiOpcode.SynchronizeCache16, 11, 0)), SenseKey.IllegalRequest, Asc.LbaOutOfRange);
    }

    [Fact]
    public async Task PreFetch10_InRange_IsGood()
    {
        LuHarness h = await CreateAsync(blocks: 10);

        AssertGood(await h.RunAsync(Cdbs.Rw10(ScsiOpcode.PreFetch10, 0, 10)));
        AssertCheckCondition(await h.RunAsync(Cdbs.Rw16(ScsiOpcode.PreFetch16, 9, 2)), SenseKey.IllegalRequest, Asc.LbaOutOfRange);
    }

    [Fact]
    public async Task ReadCapacity10_ReportsLastLbaAndBlockSize()
    {
        LuHarness h = await CreateAsync(blocks: 2048, blockSize: 4096);

        ScsiTask task = await h.RunAsync(Cdbs.ReadCapacity10(), dataIn: 8);

        AssertGood(task);
        Assert.Equal(2047u, U32(DataIn(task), 0));
        Assert.Equal(4096u, U32(DataIn(task), 4));
    }

    [Fact]
    public async Task ReadCapacity10_HugeLun_ReportsFfffffff()
    {
        LuHarness h = await CreateAsync(blocks: 16);
        h.Device.BlockCount = 0x1_0000_0001;
        await h.RunAsync(Cdbs.TestUnitReady()); // consumes CAPACITY DATA HAS CHANGED

        ScsiTask task = await h.RunAsync(Cdbs.ReadCapacity10(), dataIn: 8);

        AssertGood(task);
        Assert.Equal(uint.MaxValue, U32(DataIn(task), 0));
    }

    [Fact]
    public async Task ReadCapacity10_NonZeroLbaWithoutPmi_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();
        byte[] cdb = Cdbs.ReadCapacity10();
        cdb[5] = 1;

        AssertCheckCondition(await h.RunAsync(cdb, dataIn: 8), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task ReadCapacity16_ThinLun_SetsLbpmeAndLbprz()
    {
        LuHarness h = await CreateAsync(blocks: 1000);

        ScsiTask task = await h.RunAsync(Cdbs.ReadCapacity16(), dataIn: 32);

        AssertGood(task);
        Assert.Equal(999UL, U64(DataIn(task), 0));
        Assert.Equal(512u, U32(DataIn(task), 8));
        Assert.Equal(0xC0, DataIn(task)[14]);
    }

    [Fact]
    public async Task ReadCapacity16_FullyProvisionedLun_ClearsLbpme()
    {
        LuHarness h = await CreateAsync(thin: false);

        ScsiTask task = await h.RunAsync(Cdbs.ReadCapacity16(), dataIn: 32);

        Assert.Equal(0, DataIn(task)[14]);
    }

    [Fact]
    public async Task ReadCapacity16_ShortAllocationLength_Truncates()
    {
        LuHarness h = await CreateAsync();

        ScsiTask task = await h.RunAsync(Cdbs.ReadCapacity16(allocationLength: 12), dataIn: 32);

        AssertGood(task);
        Assert.Equal(12, task.DataInLength);
        Assert.Equal(12, task.CommandTransferLength);
    }

    [Fact]
    public async Task ServiceActionIn16_UnknownServiceAction_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();

        AssertCheckCondition(await h.RunAsync(Cdbs.ServiceActionIn16(0x1F, 0, 32), dataIn: 32), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task UnknownOpcode_ReturnsInvalidCommandOperationCode()
    {
        LuHarness h = await CreateAsync();

        ScsiTask task = await h.RunAsync([0xC5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        AssertCheckCondition(task, SenseKey.IllegalRequest, Asc.InvalidCommandOperationCode);
        AssertCheckCondition(await h.RunAsync([0x3C, 0, 0, 0, 0, 0, 0, 0, 0, 0]), SenseKey.IllegalRequest, Asc.InvalidCommandOperationCode); // READ BUFFER(10)
    }

    [Fact]
    public async Task NacaBitSet_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();
        byte[] cdb = Cdbs.TestUnitReady();
        cdb[5] = 0x04;

        AssertCheckCondition(await h.RunAsync(cdb), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task DescriptorSense_AfterModeSelect_UsesDescriptorFormat()
    {
        LuHarness h = await CreateAsync(blocks: 10);
        byte[] parameters = BlockLogicalUnitModePageTests.ControlPageParameters(dSense: true);
        AssertGood(await h.RunAsync(Cdbs.ModeSelect6((byte)parameters.Length), dataOut: parameters));

        ScsiTask task = await h.RunAsync(Cdbs.Read10(20, 1), dataIn: 512);

        AssertCheckCondition(task, SenseKey.IllegalRequest, Asc.LbaOutOfRange);
        Assert.Equal(0x72, task.Sense[0]);
    }

    private static byte[] CompareAndWrite(ulong lba, byte blocks, byte flags = 0)
    {
        byte[] cdb = Cdbs.Rw16(ScsiOpcode.CompareAndWrite, lba, 0, flags);
        cdb[13] = blocks;
        return cdb;
    }

    [Fact]
    public async Task CompareAndWrite_Match_WritesNewData()
    {
        LuHarness h = await CreateAsync();
        h.Device.Fill(5, 1, 0xAA);
        byte[] data = new byte[1024];
        data.AsSpan(0, 512).Fill(0xAA);
        data.AsSpan(512).Fill(0xBB);

        ScsiTask task = await h.RunAsync(CompareAndWrite(5, 1), dataOut: data);

        AssertGood(task);
        Assert.Equal(1024, task.CommandTransferLength);
        Assert.Equal(0xBB, h.Device.Block(5)[0]);
    }

    [Fact]
    public async Task CompareAndWrite_Mismatch_ReportsMiscompareAndWritesNothing()
    {
        LuHarness h = await CreateAsync();
        h.Device.Fill(5, 1, 0xAA);
        byte[] data = new byte[1024];
        data.AsSpan(0, 512).Fill(0xAA);
        data[300] = 0;
        data.AsSpan(512).Fill(0xBB);

        ScsiTask task = await h.RunAsync(CompareAndWrite(5, 1), dataOut: data);

        AssertCheckCondition(task, SenseKey.Miscompare, Asc.MiscompareDuringVerifyOperation);
        Assert.True(SenseData.TryGetInformation(task.Sense, out ulong offset));
        Assert.Equal(300UL, offset);
        Assert.Equal(0xAA, h.Device.Block(5)[0]);
    }

    [Fact]
    public async Task CompareAndWrite_AboveMaximumLength_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();

        AssertCheckCondition(await h.RunAsync(CompareAndWrite(0, 2), dataOut: new byte[2048]), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task CompareAndWrite_BeyondEnd_ReturnsLbaOutOfRange()
    {
        LuHarness h = await CreateAsync(blocks: 10);

        AssertCheckCondition(await h.RunAsync(CompareAndWrite(10, 1), dataOut: new byte[1024]), SenseKey.IllegalRequest, Asc.LbaOutOfRange);
    }

    [Fact]
    public async Task CompareAndWrite_ZeroBlocks_IsGood()
    {
        LuHarness h = await CreateAsync();

        AssertGood(await h.RunAsync(CompareAndWrite(0, 0)));
        Assert.Equal(0, h.Device.Writes);
    }

    [Fact]
    public async Task CompareAndWrite_ZeroBlocksWithDataOut_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();

        AssertCheckCondition(await h.RunAsync(CompareAndWrite(0, 0), dataOut: new byte[1024]), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
        Assert.Equal(0, h.Device.Writes);
    }

    [Fact]
    public async Task CompareAndWrite_Disabled_ReturnsInvalidCommandOperationCode()
    {
        LuHarness h = await CreateAsync(options: new LogicalUnitOptions { MaxCompareAndWriteLengthBlocks = 0 });

        AssertCheckCondition(await h.RunAsync(CompareAndWrite(0, 1), dataOut: new byte[1024]), SenseKey.IllegalRequest, Asc.InvalidCommandOperationCode);
    }

    [Fact]
    public async Task CompareAndWrite_WaitsForInFlightWrites()
    {
        LuHarness h = await CreateAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Device.Gate = gate;
        Task<ScsiTask> write = h.RunAsync(Cdbs.Write10(5, 1), dataOut: Enumerable.Repeat((byte)0xAA, 512).ToArray());
        byte[] data = new byte[1024];
        data.AsSpan(0, 512).Fill(0xAA);
        data.AsSpan(512).Fill(0xBB);

        Task<ScsiTask> caw = h.RunAsync(CompareAndWrite(5, 1), dataOut: data);
        await Task.Delay(20);
        Assert.False(caw.IsCompleted);
        h.Device.Gate = null;
        gate.SetResult();

        AssertGood(await write);
        AssertGood(await caw);
        Assert.Equal(0xBB, h.Device.Block(5)[0]);
    }

    [Fact]
    public async Task CompareAndWrite_TwoConcurrentWriters_ExactlyOneWinsOtherMiscomparesWithOffset()
    {
        LuHarness h = await CreateAsync();
        await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus); // its power-on unit attention
        h.Device.Fill(7, 1, 0x00);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Device.Gate = gate;
        byte[] Data(byte value)
        {
            byte[] d = new byte[1024]; // verify: zeros; write: the value
            Array.Fill(d, value, 512, 512);
            return d;
        }

        Task<ScsiTask> first = h.RunAsync(CompareAndWrite(7, 1), dataOut: Data(0x11));
        Task<ScsiTask> second = h.RunAsync(CompareAndWrite(7, 1), dataOut: Data(0x22), nexus: OtherNexus);
        await Task.Delay(20);
        h.Device.Gate = null;
        gate.SetResult();
        ScsiTask[] results = [await first, await second];

        ScsiTask? winner = results.SingleOrDefault(t => t.Status == ScsiStatus.Good);
        ScsiTask? loser = results.SingleOrDefault(t => t.Status == ScsiStatus.CheckCondition && SenseOf(t).Key == SenseKey.Miscompare);
        Assert.NotNull(winner);
        Assert.NotNull(loser);
        Assert.Equal(Asc.MiscompareDuringVerifyOperation, SenseOf(loser).Asc);
        Assert.True(SenseData.TryParse(loser.Sense, out _, out _, out _));
        Assert.Equal(0x80, loser.Sense[0] & 0x80); // VALID: INFORMATION holds the offset
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(loser.Sense[3..])); // first differing byte
        byte expected = ReferenceEquals(winner, results[0]) ? (byte)0x11 : (byte)0x22;
        Assert.Equal(expected, h.Device.Block(7)[0]);
        Assert.Equal(expected, h.Device.Block(7)[511]);
    }
}
