using System.Buffers.Binary;
using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Emulation;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;

namespace NetScsi.Scsi.Tests.Emulation;

public sealed class BlockLogicalUnitProvisioningTests
{
    [Fact]
    public async Task Unmap_DeallocatesDescribedBlocks()
    {
        LuHarness h = await CreateAsync();
        h.Device.Fill(0, 20, 0xFF);
        byte[] p = Cdbs.UnmapParameters((2, 3), (10, 1));

        AssertGood(await h.RunAsync(Cdbs.Unmap((ushort)p.Length), dataOut: p));

        Assert.True(h.Device.IsMapped(1));
        Assert.False(h.Device.IsMapped(2));
        Assert.False(h.Device.IsMapped(4));
        Assert.True(h.Device.IsMapped(5));
        Assert.False(h.Device.IsMapped(10));
    }

    [Fact]
    public async Task Unmap_DescriptorBeyondEnd_ReturnsLbaOutOfRange()
    {
        LuHarness h = await CreateAsync(blocks: 100);
        h.Device.Fill(0, 100, 0xFF);
        byte[] p = Cdbs.UnmapParameters((0, 1), (99, 2));

        AssertCheckCondition(await h.RunAsync(Cdbs.Unmap((ushort)p.Length), dataOut: p), SenseKey.IllegalRequest, Asc.LbaOutOfRange);

        // Nothing is unmapped when any descriptor is bad.
        Assert.True(h.Device.IsMapped(0));
    }

    [Fact]
    public async Task Unmap_ZeroParameterListLength_IsGood()
    {
        LuHarness h = await CreateAsync();

        AssertGood(await h.RunAsync(Cdbs.Unmap(0)));
        Assert.Equal(0, h.Device.Unmaps);
    }

    [Fact]
    public async Task Unmap_ParameterListShorterThanHeader_ReturnsParameterListLengthError()
    {
        LuHarness h = await CreateAsync();

        AssertCheckCondition(await h.RunAsync(Cdbs.Unmap(4), dataOut: new byte[4]), SenseKey.IllegalRequest, Asc.ParameterListLengthError);
    }

    [Fact]
    public async Task Unmap_TooManyDescriptors_ReturnsInvalidFieldInParameterList()
    {
        LuHarness h = await CreateAsync(options: new LogicalUnitOptions { MaxUnmapBlockDescriptorCount = 1 });
        byte[] p = Cdbs.UnmapParameters((0, 1), (5, 1));

        AssertCheckCondition(await h.RunAsync(Cdbs.Unmap((ushort)p.Length), dataOut: p), SenseKey.IllegalRequest, Asc.InvalidFieldInParameterList);
    }

    [Fact]
    public async Task Unmap_TooManyBlocksInDescriptor_ReturnsInvalidFieldInParameterList()
    {
        LuHarness h = await CreateAsync(options: new LogicalUnitOptions { MaxUnmapLbaCount = 4 });
        byte[] p = Cdbs.UnmapParameters((0, 5));

        ScsiTask task = await h.RunAsync(Cdbs.Unmap((ushort)p.Length), dataOut: p);

        AssertCheckCondition(task, SenseKey.IllegalRequest, Asc.InvalidFieldInParameterList);
        Assert.True(SenseData.TryGetKeySpecific(task.Sense, out SenseKeySpecific sks));
        Assert.Equal(16, sks.FieldPointerOffset);
    }

    [Fact]
    public async Task Unmap_InconsistentUnmapDataLength_ReturnsInvalidFieldInParameterList()
    {
        LuHarness h = await CreateAsync();
        byte[] p = Cdbs.UnmapParameters((0, 1));
        BinaryPrimitives.WriteUInt16BigEndian(p, 6);

        AssertCheckCondition(await h.RunAsync(Cdbs.Unmap((ushort)p.Length), dataOut: p), SenseKey.IllegalRequest, Asc.InvalidFieldInParameterList);
    }

    [Fact]
    public async Task Unmap_ZeroBlockDescriptor_IsGood()
    {
        LuHarness h = await CreateAsync();
        byte[] p = Cdbs.UnmapParameters((5, 0));

        AssertGood(await h.RunAsync(Cdbs.Unmap((ushort)p.Length), dataOut: p));
    }

    [Fact]
    public async Task Unmap_AnchorBit_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();
        byte[] p = Cdbs.UnmapParameters((5, 1));
        byte[] cdb = Cdbs.Unmap((ushort)p.Length);
        cdb[1] = 1;

        AssertCheckCondition(await h.RunAsync(cdb, dataOut: p), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task Unmap_FullyProvisionedLun_ReturnsInvalidCommandOperationCode()
    {
        LuHarness h = await CreateAsync(thin: false);
        byte[] p = Cdbs.UnmapParameters((0, 1));

        AssertCheckCondition(await h.RunAsync(Cdbs.Unmap((ushort)p.Length), dataOut: p), SenseKey.IllegalRequest, Asc.InvalidCommandOperationCode);
    }

    [Fact]
    public async Task Unmap_ReadOnlyLun_ReturnsWriteProtected()
    {
        LuHarness h = await CreateAsync(options: new LogicalUnitOptions { ReadOnly = true });
        byte[] p = Cdbs.UnmapParameters((0, 1));

        AssertCheckCondition(await h.RunAsync(Cdbs.Unmap((ushort)p.Length), dataOut: p), SenseKey.DataProtect, Asc.WriteProtected);
    }

    [Fact]
    public async Task WriteSame16_UnmapBit_DeallocatesBlocks()
    {
        LuHarness h = await CreateAsync();
        h.Device.Fill(0, 50, 0xFF);

        AssertGood(await h.RunAsync(Cdbs.Rw16(ScsiOpcode.WriteSame16, 10, 20, 0x08), dataOut: new byte[512]));

        Assert.True(h.Device.IsMapped(9));
        Assert.False(h.Device.IsMapped(10));
        Assert.False(h.Device.IsMapped(29));
        Assert.True(h.Device.IsMapped(30));
        Assert.Equal(0, h.Device.Block(15)[0]);
    }

    [Fact]
    public async Task WriteSame16_Ndob_UnmapsWithoutDataOut()
    {
        LuHarness h = await CreateAsync();
        h.Device.Fill(0, 50, 0xFF);

        ScsiTask task = await h.RunAsync(Cdbs.Rw16(ScsiOpcode.WriteSame16, 0, 5, 0x09));

        AssertGood(task);
        Assert.Equal(0, task.CommandTransferLength);
        Assert.False(h.Device.IsMapped(4));
    }

    [Fact]
    public async Task WriteSame10_UnmapBitWithNonZeroData_DeallocatesRange()
    {
        LuHarness h = await CreateAsync();
        h.Device.Fill(0, 4, 0xFF);
        byte[] pattern = Enumerable.Repeat((byte)0x3C, 512).ToArray();

        AssertGood(await h.RunAsync(Cdbs.Rw10(ScsiOpcode.WriteSame10, 0, 4, 0x08), dataOut: pattern));

        Assert.False(h.Device.IsMapped(3));
        Assert.Equal(0, h.Device.Block(3)[511]);
    }

    [Fact]
    public async Task WriteSame10_UnmapBitOnFullyProvisionedUnit_WritesPattern()
    {
        LuHarness h = await CreateAsync(thin: false);
        byte[] pattern = Enumerable.Repeat((byte)0x3C, 512).ToArray();

        AssertGood(await h.RunAsync(Cdbs.Rw10(ScsiOpcode.WriteSame10, 0, 4, 0x08), dataOut: pattern));

        Assert.Equal(0x3C, h.Device.Block(3)[511]);
    }

    [Fact]
    public async Task WriteSame10_WritesPatternToEveryBlock()
    {
        LuHarness h = await CreateAsync(blocks: 5000);
        byte[] pattern = new byte[512];
        Random.Shared.NextBytes(pattern);

        ScsiTask task = await h.RunAsync(Cdbs.Rw10(ScsiOpcode.WriteSame10, 100, 4000), dataOut: pattern);

        AssertGood(task);
        Assert.Equal(512, task.CommandTransferLength);
        Assert.Equal(pattern, h.Device.Block(100).ToArray());
        Assert.Equal(pattern, h.Device.Block(4099).ToArray());
        Assert.Equal(0, h.Device.Block(4100)[0]);
    }

    [Fact]
    public async Task WriteSame10_ZeroBlocks_WritesToEndOfMedium()
    {
        LuHarness h = await CreateAsync(blocks: 100);
        byte[] pattern = Enumerable.Repeat((byte)0x5A, 512).ToArray();

        AssertGood(await h.RunAsync(Cdbs.Rw10(ScsiOpcode.WriteSame10, 90, 0), dataOut: pattern));

        Assert.Equal(0, h.Device.Block(89)[0]);
        for (long lba = 90; lba < 100; lba++)
        {
            Assert.Equal(0x5A, h.Device.Block(lba)[511]);
        }
    }

    [Fact]
    public async Task WriteSame10_ZeroBlocks_BeyondMaximumWriteSameLength_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync(blocks: 100, options: new LogicalUnitOptions { MaxWriteSameLengthBlocks = 8 });

        AssertCheckCondition(await h.RunAsync(Cdbs.Rw10(ScsiOpcode.WriteSame10, 0, 0), dataOut: new byte[512]), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
        AssertGood(await h.RunAsync(Cdbs.Rw10(ScsiOpcode.WriteSame10, 92, 0), dataOut: new byte[512]));
    }

    [Fact]
    public async Task WriteSame10_ZeroBlocks_AtCapacity_ReturnsLbaOutOfRange()
    {
        LuHarness h = await CreateAsync(blocks: 100);

        AssertCheckCondition(await h.RunAsync(Cdbs.Rw10(ScsiOpcode.WriteSame10, 100, 0), dataOut: new byte[512]), SenseKey.IllegalRequest, Asc.LbaOutOfRange);
    }

    [Theory]
    [InlineData(256)]
    [InlineData(1024)]
    public async Task WriteSame10_DataOutNotOneBlock_ReturnsInvalidFieldInCdb(int dataOutBytes)
    {
        LuHarness h = await CreateAsync();
        h.Device.Fill(0, 1, 0x11);

        AssertCheckCondition(await h.RunAsync(Cdbs.Rw10(ScsiOpcode.WriteSame10, 0, 1, 0x08), dataOut: new byte[dataOutBytes]), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
        Assert.Equal(0x11, h.Device.Block(0)[0]);
    }

    [Fact]
    public async Task ReadCapacity16_FourKiBPhysicalBlocks_ReportsExponentThree()
    {
        LuHarness h = await CreateAsync();
        h.Device.PhysicalBlockSize = 4096;
        var unit = new BlockLogicalUnit(h.Device, new LogicalUnitOptions { ReportPhysicalBlockSize = true });
        ScsiTask tur = LuHarness.NewTask(Cdbs.TestUnitReady());
        await unit.ExecuteAsync(tur, CancellationToken.None);

        ScsiTask task = LuHarness.NewTask(Cdbs.ReadCapacity16(), dataIn: 32);
        await unit.ExecuteAsync(task, CancellationToken.None);
        ScsiTask vpd = LuHarness.NewTask(Cdbs.Inquiry(evpd: true, page: 0xB0), dataIn: 255);
        await unit.ExecuteAsync(vpd, CancellationToken.None);

        Assert.Equal(3, DataIn(task)[13] & 0x0F);
        Assert.Equal(0, U16(DataIn(task), 14) & 0x3FFF); // LOWEST ALIGNED LBA
        Assert.Equal(8u, U32(DataIn(vpd), 28)); // OPTIMAL UNMAP GRANULARITY: one physical block
        Assert.Equal(0x8000_0000u, U32(DataIn(vpd), 32)); // UGAVALID, alignment 0
    }

    [Fact]
    public async Task ReadCapacity16_PhysicalBlockNotReported_ReportsExponentZero()
    {
        LuHarness h = await CreateAsync();
        h.Device.PhysicalBlockSize = 4096;

        ScsiTask task = await h.RunAsync(Cdbs.ReadCapacity16(), dataIn: 32);

        Assert.Equal(0, DataIn(task)[13] & 0x0F);
    }

    [Fact]
    public async Task WriteSame16_BeyondEnd_ReturnsLbaOutOfRange()
    {
        LuHarness h = await CreateAsync(blocks: 100);

        AssertCheckCondition(await h.RunAsync(Cdbs.Rw16(ScsiOpcode.WriteSame16, 99, 2), dataOut: new byte[512]), SenseKey.IllegalRequest, Asc.LbaOutOfRange);
        AssertCheckCondition(await h.RunAsync(Cdbs.Rw16(ScsiOpcode.WriteSame16, ulong.MaxValue, 1), dataOut: new byte[512]), SenseKey.IllegalRequest, Asc.LbaOutOfRange);
    }

    [Fact]
    public async Task WriteSame16_AboveMaximumLength_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync(options: new LogicalUnitOptions { MaxWriteSameLengthBlocks = 8 });

        AssertCheckCondition(await h.RunAsync(Cdbs.Rw16(ScsiOpcode.WriteSame16, 0, 9), dataOut: new byte[512]), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task WriteSame16_DefaultMaximumLength_IsTheMaximumTransferLength()
    {
        LuHarness h = await CreateAsync(blocks: 40000, options: new LogicalUnitOptions { MaxTransferLengthBlocks = 1000 });

        Assert.Equal(1000u, h.Unit.MaxWriteSameLengthBlocks);
        AssertGood(await h.RunAsync(Cdbs.Rw16(ScsiOpcode.WriteSame16, 0, 1000, 0x08), dataOut: new byte[512]));
        AssertCheckCondition(await h.RunAsync(Cdbs.Rw16(ScsiOpcode.WriteSame16, 0, 1001, 0x08), dataOut: new byte[512]), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task WriteSame10_AnchorBit_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();

        AssertCheckCondition(await h.RunAsync(Cdbs.Rw10(ScsiOpcode.WriteSame10, 0, 1, 0x18), dataOut: new byte[512]), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task WriteSame10_ReadOnlyLun_ReturnsWriteProtected()
    {
        LuHarness h = await CreateAsync(options: new LogicalUnitOptions { ReadOnly = true });

        AssertCheckCondition(await h.RunAsync(Cdbs.Rw10(ScsiOpcode.WriteSame10, 0, 1), dataOut: new byte[512]), SenseKey.DataProtect, Asc.WriteProtected);
    }

    [Fact]
    public async Task WriteSame16_UnmapOnFullyProvisionedLun_WritesZeros()
    {
        LuHarness h = await CreateAsync(thin: false);
        h.Device.Fill(0, 4, 0xFF);

        AssertGood(await h.RunAsync(Cdbs.Rw16(ScsiOpcode.WriteSame16, 0, 4, 0x08), dataOut: new byte[512]));

        Assert.Equal(0, h.Device.Unmaps);
        Assert.Equal(0, h.Device.Block(3)[0]);
    }

    [Fact]
    public async Task GetLbaStatus_ReportsDeallocatedExtent()
    {
        LuHarness h = await CreateAsync(blocks: 100);
        h.Device.Fill(0, 10, 0xFF);

        ScsiTask task = await h.RunAsync(Cdbs.GetLbaStatus(0, allocationLength: 8 + (16 * 4)), dataIn: 8 + (16 * 4));
        ReadOnlySpan<byte> d = DataIn(task);

        AssertGood(task);
        Assert.Equal(8 + 32, d.Length);
        Assert.Equal(4u + 32, U32(d, 0));
        Assert.Equal(0UL, U64(d, 8));
        Assert.Equal(10u, U32(d, 16));
        Assert.Equal(0, d[20]);
        Assert.Equal(10UL, U64(d, 24));
        Assert.Equal(90u, U32(d, 32));
        Assert.Equal(1, d[36]);
    }

    [Fact]
    public async Task GetLbaStatus_Allocation24_ReturnsOneDescriptor()
    {
        LuHarness h = await CreateAsync(blocks: 100);
        h.Device.Fill(50, 1, 1);

        ScsiTask task = await h.RunAsync(Cdbs.GetLbaStatus(99), dataIn: 24);

        AssertGood(task);
        Assert.Equal(24, task.DataInLength);
        Assert.Equal(99UL, U64(DataIn(task), 8));
        Assert.Equal(1u, U32(DataIn(task), 16));
    }

    [Fact]
    public async Task GetLbaStatus_BeyondEnd_ReturnsLbaOutOfRange()
    {
        LuHarness h = await CreateAsync(blocks: 100);

        AssertCheckCondition(await h.RunAsync(Cdbs.GetLbaStatus(100), dataIn: 24), SenseKey.IllegalRequest, Asc.LbaOutOfRange);
    }
}
