using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Tests.Emulation;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;

namespace NetScsi.Scsi.Tests;

public sealed class ScsiTargetDeviceTests
{
    private static (ScsiTargetDevice Device, BlockLogicalUnit[] Units) Create(params int[] luns)
    {
        var units = new BlockLogicalUnit[luns.Length];
        var map = new List<KeyValuePair<int, ILogicalUnit>>();
        for (int i = 0; i < luns.Length; i++)
        {
            units[i] = new BlockLogicalUnit(new TestBlockDevice(blockCount: 64, identity: $"lun{luns[i]}"), new LogicalUnitOptions());
            map.Add(new KeyValuePair<int, ILogicalUnit>(luns[i], units[i]));
        }
        return (new ScsiTargetDevice(map), units);
    }

    private static async Task<ScsiTask> RunAsync(ScsiTargetDevice device, int lun, byte[] cdb, int dataIn = 0)
    {
        ScsiTask task = NewTask(cdb, dataIn);
        task.Lun = ScsiTargetDevice.EncodeLun(lun);
        await device.ExecuteAsync(task, CancellationToken.None);
        return task;
    }

    [Theory]
    [InlineData(0, 0x0000_0000_0000_0000UL)]
    [InlineData(1, 0x0001_0000_0000_0000UL)]
    [InlineData(255, 0x00FF_0000_0000_0000UL)]
    [InlineData(256, 0x4100_0000_0000_0000UL)]
    [InlineData(16383, 0x7FFF_0000_0000_0000UL)]
    public void EncodeLun_UsesPeripheralThenFlatAddressing(int number, ulong expected)
    {
        Assert.Equal(expected, ScsiTargetDevice.EncodeLun(number));
        Assert.True(ScsiTargetDevice.TryDecodeLun(expected, out int decoded));
        Assert.Equal(number, decoded);
    }

    [Fact]
    public void TryDecodeLun_FlatAddressingOfSmallLun_Decodes()
    {
        Assert.True(ScsiTargetDevice.TryDecodeLun(0x4005_0000_0000_0000UL, out int number));
        Assert.Equal(5, number);
    }

    [Theory]
    [InlineData(0x0101_0000_0000_0000UL)] // peripheral addressing with a bus identifier
    [InlineData(0x0001_0001_0000_0000UL)] // second level present
    [InlineData(0x8001_0000_0000_0000UL)] // logical unit addressing
    [InlineData(0xC101_0000_0000_0000UL)] // extended addressing (well-known LUN)
    public void TryDecodeLun_UnsupportedForms_ReturnFalse(ulong field)
    {
        Assert.False(ScsiTargetDevice.TryDecodeLun(field, out _));
    }

    [Fact]
    public void EncodeLun_OutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ScsiTargetDevice.EncodeLun(16384));
        Assert.Throws<ArgumentOutOfRangeException>(() => ScsiTargetDevice.EncodeLun(-1));
    }

    [Fact]
    public void Constructor_RejectsDuplicateAndOutOfRangeLuns()
    {
        var unit = new BlockLogicalUnit(new TestBlockDevice(), new LogicalUnitOptions());
        Assert.Throws<ArgumentException>(() => new ScsiTargetDevice([new(1, unit), new(1, unit)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ScsiTargetDevice([new(16384, unit)]));
    }

    [Fact]
    public void TryGetLogicalUnit_FindsUnitsByLunField()
    {
        (ScsiTargetDevice device, BlockLogicalUnit[] units) = Create(0, 300);

        Assert.True(device.TryGetLogicalUnit(ScsiTargetDevice.EncodeLun(300), out ILogicalUnit unit));
        Assert.Same(units[1], unit);
        Assert.False(device.TryGetLogicalUnit(ScsiTargetDevice.EncodeLun(1), out _));
        Assert.Equal([0, 300], device.LogicalUnits.Select(e => e.Key));
    }

    [Fact]
    public void TryGetLogicalUnit_SparseHighLuns_AreFound()
    {
        (ScsiTargetDevice device, BlockLogicalUnit[] units) = Create(2, 5000, 16383);

        Assert.True(device.TryGetLogicalUnit(ScsiTargetDevice.EncodeLun(16383), out ILogicalUnit high));
        Assert.Same(units[2], high);
        Assert.True(device.TryGetLogicalUnit(ScsiTargetDevice.EncodeLun(5000), out ILogicalUnit middle));
        Assert.Same(units[1], middle);
        Assert.False(device.TryGetLogicalUnit(ScsiTargetDevice.EncodeLun(5001), out _));
        Assert.False(device.TryGetLogicalUnit(ScsiTargetDevice.EncodeLun(3), out _));
    }

    [Fact]
    public async Task ReportLuns_ListsEveryLunInOrder()
    {
        (ScsiTargetDevice device, _) = Create(5, 0, 300);

        ScsiTask task = await RunAsync(device, 0, Cdbs.ReportLuns(), dataIn: 4096);
        ReadOnlySpan<byte> d = DataIn(task);

        AssertGood(task);
        Assert.Equal(8 + 24, d.Length);
        Assert.Equal(24u, U32(d, 0));
        Assert.Equal(ScsiTargetDevice.EncodeLun(0), U64(d, 8));
        Assert.Equal(ScsiTargetDevice.EncodeLun(5), U64(d, 16));
        Assert.Equal(ScsiTargetDevice.EncodeLun(300), U64(d, 24));
    }

    [Fact]
    public async Task ReportLuns_WithoutLun0_AnswersOnLun0()
    {
        (ScsiTargetDevice device, _) = Create(3);

        ScsiTask task = await RunAsync(device, 0, Cdbs.ReportLuns(), dataIn: 4096);

        AssertGood(task);
        Assert.Equal(ScsiTargetDevice.EncodeLun(3), U64(DataIn(task), 8));
    }

    [Fact]
    public async Task ReportLuns_WellKnownOnly_ReturnsEmptyList()
    {
        (ScsiTargetDevice device, _) = Create(0, 1);

        ScsiTask task = await RunAsync(device, 0, Cdbs.ReportLuns(selectReport: 1), dataIn: 4096);

        AssertGood(task);
        Assert.Equal(8, task.DataInLength);
        Assert.Equal(0u, U32(DataIn(task), 0));
    }

    [Fact]
    public async Task ReportLuns_AllocationLengthBelow16_ReturnsInvalidFieldInCdb()
    {
        (ScsiTargetDevice device, _) = Create(0);

        AssertCheckCondition(await RunAsync(device, 0, Cdbs.ReportLuns(allocationLength: 15), dataIn: 64), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task ReportLuns_UnknownSelectReport_ReturnsInvalidFieldInCdb()
    {
        (ScsiTargetDevice device, _) = Create(0);

        AssertCheckCondition(await RunAsync(device, 0, Cdbs.ReportLuns(selectReport: 7), dataIn: 64), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task ReportLuns_ShortAllocation_TruncatesButKeepsListLength()
    {
        (ScsiTargetDevice device, _) = Create(0, 1, 2, 3);

        ScsiTask task = await RunAsync(device, 0, Cdbs.ReportLuns(allocationLength: 20), dataIn: 4096);

        Assert.Equal(20, task.DataInLength);
        Assert.Equal(20, task.CommandTransferLength);
        Assert.Equal(32u, U32(DataIn(task), 0));
    }

    [Fact]
    public async Task NonexistentLun_InquiryReturnsPeripheralQualifier3()
    {
        (ScsiTargetDevice device, _) = Create(0);

        ScsiTask task = await RunAsync(device, 7, Cdbs.Inquiry(), dataIn: 96);

        AssertGood(task);
        Assert.Equal(0x7F, DataIn(task)[0]);
    }

    [Fact]
    public async Task NonexistentLun_ReadReturnsLogicalUnitNotSupported()
    {
        (ScsiTargetDevice device, _) = Create(0);

        AssertCheckCondition(await RunAsync(device, 7, Cdbs.Read10(0, 1), dataIn: 512), SenseKey.IllegalRequest, Asc.LogicalUnitNotSupported);
        AssertCheckCondition(await RunAsync(device, 7, Cdbs.TestUnitReady()), SenseKey.IllegalRequest, Asc.LogicalUnitNotSupported);
    }

    [Fact]
    public async Task NonexistentLun_RequestSenseReturnsLogicalUnitNotSupportedData()
    {
        (ScsiTargetDevice device, _) = Create(0);

        ScsiTask task = await RunAsync(device, 7, Cdbs.RequestSense(), dataIn: 252);

        AssertGood(task);
        Assert.True(SenseData.TryParse(DataIn(task), out SenseKey key, out byte asc, out _));
        Assert.Equal(SenseKey.IllegalRequest, key);
        Assert.Equal(0x25, asc);
    }

    [Fact]
    public async Task ExecuteAsync_DispatchesToTheAddressedUnit()
    {
        (ScsiTargetDevice device, _) = Create(0, 1);

        ScsiTask first = await RunAsync(device, 1, Cdbs.TestUnitReady());
        ScsiTask second = await RunAsync(device, 1, Cdbs.ReadCapacity10(), dataIn: 8);

        AssertCheckCondition(first, SenseKey.UnitAttention, Asc.PowerOnResetOrBusDeviceResetOccurred);
        AssertGood(second);
        Assert.Equal(63u, U32(DataIn(second), 0));
    }

    [Fact]
    public async Task OnEvent_ForwardsToEveryUnit()
    {
        (ScsiTargetDevice device, _) = Create(0, 1);
        await RunAsync(device, 0, Cdbs.TestUnitReady());
        await RunAsync(device, 1, Cdbs.TestUnitReady());

        device.OnEvent(LogicalUnitEvent.LogicalUnitReset, null);

        AssertCheckCondition(await RunAsync(device, 0, Cdbs.TestUnitReady()), SenseKey.UnitAttention, Asc.BusDeviceResetFunctionOccurred);
        AssertCheckCondition(await RunAsync(device, 1, Cdbs.TestUnitReady()), SenseKey.UnitAttention, Asc.BusDeviceResetFunctionOccurred);
    }

    [Fact]
    public void PerInitiatorView_SharesUnits()
    {
        (ScsiTargetDevice device, _) = Create(0, 1, 2);

        var view = new ScsiTargetDevice(device.LogicalUnits.Where(e => e.Key != 1));

        Assert.False(view.TryGetLogicalUnit(ScsiTargetDevice.EncodeLun(1), out _));
        Assert.True(view.TryGetLogicalUnit(ScsiTargetDevice.EncodeLun(2), out ILogicalUnit unit));
        Assert.True(device.TryGetLogicalUnit(ScsiTargetDevice.EncodeLun(2), out ILogicalUnit same));
        Assert.Same(same, unit);
    }
}
