using NetScsi.Scsi.Emulation;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;

namespace NetScsi.Scsi.Tests.Emulation;

public sealed class BlockLogicalUnitMediumTests
{
    private static Task<LuHarness> RemovableAsync() => CreateAsync(options: new LogicalUnitOptions { Removable = true });

    [Fact]
    public async Task TestUnitReady_MediumPresent_IsGood()
    {
        LuHarness h = await CreateAsync();

        AssertGood(await h.RunAsync(Cdbs.TestUnitReady()));
    }

    [Fact]
    public async Task StartStopUnit_EjectRemovable_ThenMediaCommandsReportMediumNotPresent()
    {
        LuHarness h = await RemovableAsync();

        AssertGood(await h.RunAsync(Cdbs.StartStopUnit(start: false, loej: true)));

        Assert.False(h.Unit.IsMediumPresent);
        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady()), SenseKey.NotReady, Asc.MediumNotPresent);
        AssertCheckCondition(await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512), SenseKey.NotReady, Asc.MediumNotPresent);
        AssertCheckCondition(await h.RunAsync(Cdbs.ReadCapacity10(), dataIn: 8), SenseKey.NotReady, Asc.MediumNotPresent);
        AssertGood(await h.RunAsync(Cdbs.Inquiry(), dataIn: 96));
        Assert.Equal(1, h.Device.Flushes);
    }

    [Fact]
    public async Task StartStopUnit_Load_MakesMediumAvailableAgain()
    {
        LuHarness h = await RemovableAsync();
        AssertGood(await h.RunAsync(Cdbs.StartStopUnit(start: false, loej: true)));

        AssertGood(await h.RunAsync(Cdbs.StartStopUnit(start: true, loej: true)));

        AssertGood(await h.RunAsync(Cdbs.TestUnitReady()));
    }

    [Fact]
    public async Task RequestSense_NoMedium_ReturnsNotReadyData()
    {
        LuHarness h = await RemovableAsync();
        AssertGood(await h.RunAsync(Cdbs.StartStopUnit(start: false, loej: true)));

        ScsiTask task = await h.RunAsync(Cdbs.RequestSense(), dataIn: 252);

        AssertGood(task);
        Assert.True(SenseData.TryParse(DataIn(task), out SenseKey key, out byte asc, out _));
        Assert.Equal(SenseKey.NotReady, key);
        Assert.Equal(0x3A, asc);
    }

    [Fact]
    public async Task StartStopUnit_EjectNonRemovable_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();

        AssertCheckCondition(await h.RunAsync(Cdbs.StartStopUnit(start: false, loej: true)), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
        Assert.True(h.Unit.IsMediumPresent);
    }

    [Fact]
    public async Task StartStopUnit_WithoutLoej_IsGood()
    {
        LuHarness h = await CreateAsync();

        AssertGood(await h.RunAsync(Cdbs.StartStopUnit(start: false, loej: false)));
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady()));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(0xB)]
    [InlineData(0xF)]
    public async Task StartStopUnit_PowerCondition_IgnoresLoej(byte powerCondition)
    {
        LuHarness h = await RemovableAsync();

        AssertGood(await h.RunAsync(Cdbs.StartStopUnit(start: false, loej: true, powerCondition)));

        Assert.True(h.Unit.IsMediumPresent);
    }

    [Fact]
    public async Task PreventAllow_LoadWhilePrevented_ReturnsMediumRemovalPrevented()
    {
        LuHarness h = await RemovableAsync();
        AssertGood(await h.RunAsync(Cdbs.StartStopUnit(start: false, loej: true)));
        AssertGood(await h.RunAsync(Cdbs.PreventAllow(1)));

        AssertCheckCondition(await h.RunAsync(Cdbs.StartStopUnit(start: true, loej: true)), SenseKey.IllegalRequest, Asc.MediumRemovalPrevented);

        AssertGood(await h.RunAsync(Cdbs.PreventAllow(0)));
        AssertGood(await h.RunAsync(Cdbs.StartStopUnit(start: true, loej: true)));
        Assert.True(h.Unit.IsMediumPresent);
    }

    [Fact]
    public async Task PreventAllow_EjectWhilePrevented_ReturnsMediumRemovalPrevented()
    {
        LuHarness h = await RemovableAsync();
        AssertGood(await h.RunAsync(Cdbs.PreventAllow(1)));

        AssertCheckCondition(await h.RunAsync(Cdbs.StartStopUnit(start: false, loej: true)), SenseKey.IllegalRequest, Asc.MediumRemovalPrevented);
        Assert.True(h.Unit.IsMediumPresent);

        AssertGood(await h.RunAsync(Cdbs.PreventAllow(0)));
        AssertGood(await h.RunAsync(Cdbs.StartStopUnit(start: false, loej: true)));
    }

    [Fact]
    public async Task PreventAllow_PreventedByAnotherNexus_BlocksEject()
    {
        LuHarness h = await RemovableAsync();
        await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus);
        AssertGood(await h.RunAsync(Cdbs.PreventAllow(1), nexus: OtherNexus));

        AssertCheckCondition(await h.RunAsync(Cdbs.StartStopUnit(start: false, loej: true)), SenseKey.IllegalRequest, Asc.MediumRemovalPrevented);
    }

    [Fact]
    public async Task PreventAllow_NexusLoss_ReleasesPrevention()
    {
        LuHarness h = await RemovableAsync();
        AssertGood(await h.RunAsync(Cdbs.PreventAllow(1)));

        h.Unit.OnEvent(LogicalUnitEvent.NexusLoss, DefaultNexus);
        await h.RunAsync(Cdbs.TestUnitReady()); // I_T NEXUS LOSS OCCURRED

        AssertGood(await h.RunAsync(Cdbs.StartStopUnit(start: false, loej: true)));
    }

    [Fact]
    public async Task PreventAllow_TargetWarmReset_ReleasesPrevention()
    {
        LuHarness h = await RemovableAsync();
        AssertGood(await h.RunAsync(Cdbs.PreventAllow(1)));

        h.Unit.OnEvent(LogicalUnitEvent.TargetWarmReset, null);
        await h.RunAsync(Cdbs.TestUnitReady());

        AssertGood(await h.RunAsync(Cdbs.StartStopUnit(start: false, loej: true)));
    }

    [Fact]
    public async Task PreventAllow_MediumChangerValue_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();

        AssertCheckCondition(await h.RunAsync(Cdbs.PreventAllow(2)), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task GetLbaStatus_NoMedium_ReportsMediumNotPresent()
    {
        LuHarness h = await RemovableAsync();
        AssertGood(await h.RunAsync(Cdbs.StartStopUnit(start: false, loej: true)));

        AssertCheckCondition(await h.RunAsync(Cdbs.GetLbaStatus(0), dataIn: 24), SenseKey.NotReady, Asc.MediumNotPresent);
        byte[] p = Cdbs.UnmapParameters((0, 1));
        AssertCheckCondition(await h.RunAsync(Cdbs.Unmap((ushort)p.Length), dataOut: p), SenseKey.NotReady, Asc.MediumNotPresent);
        AssertCheckCondition(await h.RunAsync(Cdbs.Rw10(0x35, 0, 1)), SenseKey.NotReady, Asc.MediumNotPresent);
    }
}
