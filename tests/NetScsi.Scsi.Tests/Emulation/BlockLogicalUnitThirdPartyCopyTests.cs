using System.Buffers.Binary;
using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Emulation;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;

namespace NetScsi.Scsi.Tests.Emulation;

public sealed class BlockLogicalUnitThirdPartyCopyTests
{
    private static byte[] ExtendedCopyCdb(int parameterListLength)
    {
        byte[] cdb = new byte[16];
        cdb[0] = ScsiOpcode.ExtendedCopy;
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(10), (uint)parameterListLength);
        return cdb;
    }

    private static byte[] ReceiveCopyResultsCdb(byte serviceAction, byte listId = 0)
    {
        byte[] cdb = new byte[16];
        cdb[0] = ScsiOpcode.ReceiveCopyResults;
        cdb[1] = serviceAction;
        cdb[2] = listId;
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(10), 1024);
        return cdb;
    }

    /// <summary>The unit's NAA designator as VPD 0x83 reports it.</summary>
    private static async Task<byte[]> NaaOfAsync(BlockLogicalUnit unit)
    {
        ScsiTask task = NewTask(Cdbs.Inquiry(evpd: true, page: 0x83), dataIn: 255);
        await unit.ExecuteAsync(task, CancellationToken.None);
        ReadOnlySpan<byte> d = DataIn(task);
        Assert.Equal(0x03, d[5] & 0x0F);
        return d.Slice(8, d[7]).ToArray();
    }

    private static byte[] TargetDescriptor(byte[] naa, byte type = 0xE4, byte flags = 0x00, int blockSize = 512)
    {
        byte[] d = new byte[32];
        d[0] = type;
        d[1] = flags;
        d[4] = 0x01; // binary
        d[5] = 0x03; // NAA, logical unit association
        d[7] = (byte)naa.Length;
        naa.CopyTo(d, 8);
        d[29] = (byte)(blockSize >> 16);
        d[30] = (byte)(blockSize >> 8);
        d[31] = (byte)blockSize;
        return d;
    }

    private static byte[] Segment(int source, int destination, ushort blocks, ulong sourceLba, ulong destinationLba, byte type = 0x02)
    {
        byte[] d = new byte[28];
        d[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(2), 24);
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(4), (ushort)source);
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(6), (ushort)destination);
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(10), blocks);
        BinaryPrimitives.WriteUInt64BigEndian(d.AsSpan(12), sourceLba);
        BinaryPrimitives.WriteUInt64BigEndian(d.AsSpan(20), destinationLba);
        return d;
    }

    private static byte[] ParameterList(byte listId, int listIdUsage, byte[][] targets, byte[][] segments)
    {
        int targetBytes = targets.Sum(t => t.Length);
        int segmentBytes = segments.Sum(s => s.Length);
        byte[] list = new byte[16 + targetBytes + segmentBytes];
        list[0] = listId;
        list[1] = (byte)(listIdUsage << 3);
        BinaryPrimitives.WriteUInt16BigEndian(list.AsSpan(2), (ushort)targetBytes);
        BinaryPrimitives.WriteUInt32BigEndian(list.AsSpan(8), (uint)segmentBytes);
        int offset = 16;
        foreach (byte[] part in targets.Concat(segments))
        {
            part.CopyTo(list, offset);
            offset += part.Length;
        }
        return list;
    }

    [Fact]
    public async Task ExtendedCopy_BlockToBlockWithinUnit_CopiesData()
    {
        LuHarness h = await CreateAsync();
        h.Device.Fill(0, 16, 0x41);
        byte[] naa = await NaaOfAsync(h.Unit);
        byte[] list = ParameterList(1, 0, [TargetDescriptor(naa)], [Segment(0, 0, 16, 0, 1000)]);

        AssertGood(await h.RunAsync(ExtendedCopyCdb(list.Length), dataOut: list));

        Assert.Equal(0x41, h.Device.Block(1000)[0]);
        Assert.Equal(0x41, h.Device.Block(1015)[511]);
        Assert.Equal(0, h.Device.Block(1016)[0]);
    }

    [Fact]
    public async Task ExtendedCopy_OverlappingForwardCopy_CopiesOriginalData()
    {
        LuHarness h = await CreateAsync(blocks: 8192);
        for (int i = 0; i < 3000; i++)
        {
            h.Device.Fill(i, 1, (byte)i);
        }
        byte[] naa = await NaaOfAsync(h.Unit);
        byte[] list = ParameterList(0, 3, [TargetDescriptor(naa)], [Segment(0, 0, 3000, 0, 1000)]);

        AssertGood(await h.RunAsync(ExtendedCopyCdb(list.Length), dataOut: list));

        for (int i = 0; i < 3000; i += 97)
        {
            Assert.Equal((byte)i, h.Device.Block(1000 + i)[0]);
        }
    }

    [Fact]
    public async Task ExtendedCopy_BetweenUnitsOfOneTargetDevice_ResolvesDestinationByDesignator()
    {
        var source = new TestBlockDevice(identity: "source");
        var destination = new TestBlockDevice(identity: "destination");
        var sourceUnit = new BlockLogicalUnit(source, new LogicalUnitOptions());
        var destinationUnit = new BlockLogicalUnit(destination, new LogicalUnitOptions());
        var device = new ScsiTargetDevice([new(0, sourceUnit), new(1, destinationUnit)]);
        source.Fill(5, 2, 0x7E);
        byte[] list = ParameterList(0, 3,
            [TargetDescriptor(await NaaOfAsync(sourceUnit)), TargetDescriptor(await NaaOfAsync(destinationUnit))],
            [Segment(0, 1, 2, 5, 50)]);
        ScsiTask task = NewTask(ExtendedCopyCdb(list.Length), dataOut: list);
        task.Lun = ScsiTargetDevice.EncodeLun(0);
        await device.ExecuteAsync(task, CancellationToken.None); // power-on unit attention
        task = NewTask(ExtendedCopyCdb(list.Length), dataOut: list);
        task.Lun = ScsiTargetDevice.EncodeLun(0);

        await device.ExecuteAsync(task, CancellationToken.None);

        AssertGood(task);
        Assert.Equal(0x7E, destination.Block(50)[0]);
        Assert.Equal(0x7E, destination.Block(51)[511]);
        Assert.Equal(0, source.Block(50)[0]);
    }

    [Fact]
    public async Task ExtendedCopy_UnknownDesignator_ReturnsCopyAborted()
    {
        LuHarness h = await CreateAsync();
        byte[] list = ParameterList(0, 3, [TargetDescriptor(new byte[16])], [Segment(0, 0, 1, 0, 10)]);

        AssertCheckCondition(await h.RunAsync(ExtendedCopyCdb(list.Length), dataOut: list), SenseKey.CopyAborted, Asc.CopyTargetDeviceNotReachable);
    }

    [Fact]
    public async Task ExtendedCopy_ZeroParameterListLength_IsGood()
    {
        LuHarness h = await CreateAsync();

        AssertGood(await h.RunAsync(ExtendedCopyCdb(0)));
    }

    [Fact]
    public async Task ExtendedCopy_TruncatedDescriptors_ReturnsParameterListLengthError()
    {
        LuHarness h = await CreateAsync();
        byte[] list = ParameterList(0, 3, [TargetDescriptor(await NaaOfAsync(h.Unit))], [Segment(0, 0, 1, 0, 10)]);

        AssertCheckCondition(await h.RunAsync(ExtendedCopyCdb(16 + 31), dataOut: list[..47]), SenseKey.IllegalRequest, Asc.ParameterListLengthError);
    }

    [Fact]
    public async Task ExtendedCopy_TooManyTargetDescriptors_ReturnsTooManyTargetDescriptors()
    {
        LuHarness h = await CreateAsync();
        byte[] target = TargetDescriptor(await NaaOfAsync(h.Unit));
        byte[] list = ParameterList(0, 3, Enumerable.Repeat(target, 5).ToArray(), [Segment(0, 0, 1, 0, 10)]);

        AssertCheckCondition(await h.RunAsync(ExtendedCopyCdb(list.Length), dataOut: list), SenseKey.IllegalRequest, Asc.TooManyTargetDescriptors);
    }

    [Fact]
    public async Task ExtendedCopy_TooManySegmentDescriptors_ReturnsTooManySegmentDescriptors()
    {
        LuHarness h = await CreateAsync();
        byte[] list = ParameterList(0, 3, [TargetDescriptor(await NaaOfAsync(h.Unit))], Enumerable.Repeat(Segment(0, 0, 1, 0, 10), 17).ToArray());

        AssertCheckCondition(await h.RunAsync(ExtendedCopyCdb(list.Length), dataOut: list), SenseKey.IllegalRequest, Asc.TooManySegmentDescriptors);
    }

    [Fact]
    public async Task ExtendedCopy_UnsupportedDescriptorTypes_ReturnUnsupportedTypeCodes()
    {
        LuHarness h = await CreateAsync();
        byte[] naa = await NaaOfAsync(h.Unit);
        byte[] fcTarget = ParameterList(0, 3, [TargetDescriptor(naa, type: 0xE0)], [Segment(0, 0, 1, 0, 10)]);
        byte[] streamSegment = ParameterList(0, 3, [TargetDescriptor(naa)], [Segment(0, 0, 1, 0, 10, type: 0x03)]);

        AssertCheckCondition(await h.RunAsync(ExtendedCopyCdb(fcTarget.Length), dataOut: fcTarget), SenseKey.IllegalRequest, Asc.UnsupportedTargetDescriptorTypeCode);
        AssertCheckCondition(await h.RunAsync(ExtendedCopyCdb(streamSegment.Length), dataOut: streamSegment), SenseKey.IllegalRequest, Asc.UnsupportedSegmentDescriptorTypeCode);
    }

    [Fact]
    public async Task ExtendedCopy_LuIdTypeIsIgnored()
    {
        LuHarness h = await CreateAsync();
        h.Device.Fill(0, 1, 0x41);
        byte[] list = ParameterList(0, 3, [TargetDescriptor(await NaaOfAsync(h.Unit), flags: 0xC0)], [Segment(0, 0, 1, 0, 10)]);

        AssertGood(await h.RunAsync(ExtendedCopyCdb(list.Length), dataOut: list));
        Assert.Equal(0x41, h.Device.Block(10)[0]);
    }

    [Theory]
    [InlineData(0x20, 0, 0, 10UL)] // NUL target
    [InlineData(0x00, 0, 1, 10UL)] // destination index names no descriptor
    [InlineData(0x00, 0, 0, 1023UL)] // beyond the end of the destination
    public async Task ExtendedCopy_UnusableSegment_ReturnsCopyAbortedAndCopiesNothing(byte flags, int source, int destination, ulong destinationLba)
    {
        LuHarness h = await CreateAsync();
        h.Device.Fill(0, 2, 0x41);
        byte[] list = ParameterList(0, 3, [TargetDescriptor(await NaaOfAsync(h.Unit), flags: flags)], [Segment(source, destination, 2, 0, destinationLba)]);

        ScsiTask task = await h.RunAsync(ExtendedCopyCdb(list.Length), dataOut: list);

        Assert.Equal(ScsiStatus.CheckCondition, task.Status);
        Assert.Equal(SenseKey.CopyAborted, SenseOf(task).Key);
        Assert.Equal(0, h.Device.Block(10)[0]);
    }

    [Fact]
    public async Task ReceiveCopyResults_CopyStatus_ReportsHeldResultOnlyAfterCopy()
    {
        LuHarness h = await CreateAsync();
        byte[] list = ParameterList(7, 0, [TargetDescriptor(await NaaOfAsync(h.Unit))], [Segment(0, 0, 4, 0, 100)]);

        AssertCheckCondition(await h.RunAsync(ReceiveCopyResultsCdb(0x00, 7), dataIn: 1024), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
        AssertGood(await h.RunAsync(ExtendedCopyCdb(list.Length), dataOut: list));
        ScsiTask status = await h.RunAsync(ReceiveCopyResultsCdb(0x00, 7), dataIn: 1024);

        AssertGood(status);
        ReadOnlySpan<byte> d = DataIn(status);
        Assert.Equal(12, d.Length);
        Assert.Equal(0x01, d[4]); // completed without error
        Assert.Equal(1, U16(d, 5)); // segments processed
        Assert.Equal(4u * 512, U32(d, 8)); // bytes
        // Another nexus sees nothing for that list identifier.
        AssertCheckCondition(await h.RunAsync(ReceiveCopyResultsCdb(0x00, 7), dataIn: 1024, nexus: OtherNexus), SenseKey.UnitAttention, Asc.PowerOnResetOrBusDeviceResetOccurred);
        AssertCheckCondition(await h.RunAsync(ReceiveCopyResultsCdb(0x00, 7), dataIn: 1024, nexus: OtherNexus), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task ReceiveCopyResults_OperatingParameters_ReportsLimits()
    {
        LuHarness h = await CreateAsync();

        ScsiTask task = await h.RunAsync(ReceiveCopyResultsCdb(0x03), dataIn: 1024);

        AssertGood(task);
        ReadOnlySpan<byte> d = DataIn(task);
        Assert.Equal((uint)(d.Length - 4), U32(d, 0));
        Assert.Equal(4, U16(d, 8)); // MAXIMUM TARGET DESCRIPTOR COUNT
        Assert.Equal(16, U16(d, 10)); // MAXIMUM SEGMENT DESCRIPTOR COUNT
        Assert.Equal(1024u, U32(d, 12)); // MAXIMUM DESCRIPTOR LIST LENGTH
        Assert.Equal(2, d[43]);
        Assert.Equal(new byte[] { 0x02, 0xE4 }, d.Slice(44, 2).ToArray());
    }

    [Fact]
    public async Task Inquiry_ThirdPartyCopyVpd_ListsSupportedCommandsAndThreePc()
    {
        LuHarness h = await CreateAsync();

        ScsiTask vpd = await h.RunAsync(Cdbs.Inquiry(evpd: true, page: 0x8F), dataIn: 255);
        ScsiTask inquiry = await h.RunAsync(Cdbs.Inquiry(), dataIn: 96);
        ReadOnlySpan<byte> page = DataIn(vpd);
        ReadOnlySpan<byte> standard = DataIn(inquiry);

        Assert.Equal(0x8F, page[1]);
        Assert.Equal(page.Length - 4, U16(page, 2));
        Assert.Equal(0x0001, U16(page, 4)); // Supported Commands descriptor
        Assert.Equal(0, (4 + U16(page, 6)) % 4); // padded to a multiple of 4
        Assert.Equal(new byte[] { 7, 0x83, 1, 0x00, 0x84, 2, 0x00, 0x03 }, page.Slice(8, 8).ToArray());
        Assert.Equal(0x08, standard[5] & 0x08); // 3PC
    }

    [Fact]
    public async Task ReceiveCopyResults_CopyStatus_ReportsRefusedCopyAsCompletedWithError()
    {
        LuHarness h = await CreateAsync(options: new LogicalUnitOptions { ReadOnly = true });
        byte[] list = ParameterList(3, 0, [TargetDescriptor(await NaaOfAsync(h.Unit))], [Segment(0, 0, 4, 0, 100)]);

        AssertCheckCondition(await h.RunAsync(ExtendedCopyCdb(list.Length), dataOut: list), SenseKey.DataProtect, Asc.WriteProtected);
        ScsiTask status = await h.RunAsync(ReceiveCopyResultsCdb(0x00, 3), dataIn: 1024);

        AssertGood(status);
        Assert.Equal(0x02, DataIn(status)[4]); // completed with error
        Assert.Equal(0, U16(DataIn(status), 5));
    }
}
