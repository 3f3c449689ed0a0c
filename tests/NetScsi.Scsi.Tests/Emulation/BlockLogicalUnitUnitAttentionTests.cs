using static NetScsi.Scsi.Tests.Emulation.LuHarness;

namespace NetScsi.Scsi.Tests.Emulation;

public sealed class BlockLogicalUnitUnitAttentionTests
{
    [Fact]
    public async Task FirstCommandFromNewNexus_ReportsPowerOnUnitAttention()
    {
        LuHarness h = await CreateAsync(consumeUnitAttention: false);

        AssertCheckCondition(await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512), SenseKey.UnitAttention, Asc.PowerOnResetOrBusDeviceResetOccurred);
        AssertGood(await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512));
    }

    [Fact]
    public async Task Inquiry_DoesNotReportOrClearUnitAttention()
    {
        LuHarness h = await CreateAsync(consumeUnitAttention: false);

        AssertGood(await h.RunAsync(Cdbs.Inquiry(), dataIn: 96));
        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady()), SenseKey.UnitAttention, Asc.PowerOnResetOrBusDeviceResetOccurred);
    }

    [Fact]
    public async Task RequestSense_ReturnsAndClearsPendingUnitAttention()
    {
        LuHarness h = await CreateAsync(consumeUnitAttention: false);

        ScsiTask task = await h.RunAsync(Cdbs.RequestSense(), dataIn: 252);

        AssertGood(task);
        Assert.Equal(18, task.DataInLength);
        Assert.True(SenseData.TryParse(DataIn(task), out SenseKey key, out byte asc, out byte ascq));
        Assert.Equal(SenseKey.UnitAttention, key);
        Assert.Equal(0x29, asc);
        Assert.Equal(0x00, ascq);
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady()));
    }

    [Fact]
    public async Task RequestSense_DescBit_ReturnsDescriptorFormat()
    {
        LuHarness h = await CreateAsync();

        ScsiTask task = await h.RunAsync(Cdbs.RequestSense(desc: true), dataIn: 252);

        AssertGood(task);
        Assert.Equal(8, task.DataInLength);
        Assert.Equal(0x72, DataIn(task)[0]);
        Assert.Equal(0, DataIn(task)[1]);
    }

    [Fact]
    public async Task RequestSense_NothingPending_ReturnsNoSense()
    {
        LuHarness h = await CreateAsync();

        ScsiTask task = await h.RunAsync(Cdbs.RequestSense(), dataIn: 252);

        Assert.True(SenseData.TryParse(DataIn(task), out SenseKey key, out byte asc, out _));
        Assert.Equal(SenseKey.NoSense, key);
        Assert.Equal(0, asc);
    }

    [Fact]
    public async Task UnitAttention_IsPerNexus()
    {
        LuHarness h = await CreateAsync();

        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus), SenseKey.UnitAttention, Asc.PowerOnResetOrBusDeviceResetOccurred);
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady()));
    }

    [Fact]
    public async Task LogicalUnitReset_RaisesBusDeviceResetForEveryNexus()
    {
        LuHarness h = await CreateAsync();
        await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus);

        h.Unit.OnEvent(LogicalUnitEvent.LogicalUnitReset, DefaultNexus);

        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady()), SenseKey.UnitAttention, Asc.BusDeviceResetFunctionOccurred);
        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus), SenseKey.UnitAttention, Asc.BusDeviceResetFunctionOccurred);
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady()));
    }

    [Fact]
    public async Task TargetColdReset_RaisesPowerOnOccurred()
    {
        LuHarness h = await CreateAsync();

        h.Unit.OnEvent(LogicalUnitEvent.TargetColdReset, null);

        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady()), SenseKey.UnitAttention, Asc.PowerOnOccurred);
    }

    [Fact]
    public async Task Reset_SupersedesOtherPendingUnitAttentions()
    {
        LuHarness h = await CreateAsync();
        await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus);
        h.Unit.OnEvent(LogicalUnitEvent.CommandsClearedByAnotherInitiator, OtherNexus);

        h.Unit.OnEvent(LogicalUnitEvent.TargetWarmReset, null);

        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady()), SenseKey.UnitAttention, Asc.BusDeviceResetFunctionOccurred);
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady()));
    }

    [Fact]
    public async Task NexusLoss_ReportsItNexusLossWhenTheNexusReturns()
    {
        LuHarness h = await CreateAsync();
        await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus);

        h.Unit.OnEvent(LogicalUnitEvent.NexusLoss, DefaultNexus);

        // A new ItNexus instance with the same TransportIDs is the same nexus.
        var returning = NetScsi.Iscsi.Session.IscsiTransportIdCodec.CreateNexus("iqn.2024-01.test:init1", 1, 1);
        Assert.NotSame(DefaultNexus, returning);
        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady(), nexus: returning), SenseKey.UnitAttention, Asc.ItNexusLossOccurred);
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus));
    }

    [Fact]
    public async Task CommandsClearedByAnotherInitiator_ReportedToOtherNexusesOnly()
    {
        LuHarness h = await CreateAsync();
        await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus);

        h.Unit.OnEvent(LogicalUnitEvent.CommandsClearedByAnotherInitiator, DefaultNexus);

        AssertGood(await h.RunAsync(Cdbs.TestUnitReady()));
        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus), SenseKey.UnitAttention, Asc.CommandsClearedByAnotherInitiator);
    }

    [Fact]
    public async Task CapacityChange_RaisesCapacityDataHasChanged()
    {
        LuHarness h = await CreateAsync(blocks: 100);

        h.Device.BlockCount = 50;

        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady()), SenseKey.UnitAttention, Asc.CapacityDataHasChanged);
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady()));
    }

    [Fact]
    public async Task UnitAttention_InDescriptorFormat_WhenDSenseSet()
    {
        LuHarness h = await CreateAsync();
        byte[] p = BlockLogicalUnitModePageTests.ControlPageParameters(dSense: true);
        AssertGood(await h.RunAsync(Cdbs.ModeSelect6((byte)p.Length), dataOut: p));

        ScsiTask task = await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus);

        Assert.Equal(0x72, task.Sense[0]);
        Assert.Equal((byte)SenseKey.UnitAttention, task.Sense[1]);
    }

    [Fact]
    public async Task ReportLunsOpcode_SentToUnitDirectly_DoesNotConsumeUnitAttention()
    {
        LuHarness h = await CreateAsync(consumeUnitAttention: false);

        await h.RunAsync(Cdbs.ReportLuns(), dataIn: 64);

        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady()), SenseKey.UnitAttention, Asc.PowerOnResetOrBusDeviceResetOccurred);
    }

    [Fact]
    public async Task UnexpectedDeviceException_IsReportedAsHardwareErrorNotThrown()
    {
        LuHarness h = await CreateAsync();
        h.Device.BlockCount = 2000; // the device claims more blocks than it stores: its read throws ArgumentOutOfRangeException
        await h.RunAsync(Cdbs.TestUnitReady()); // CAPACITY DATA HAS CHANGED

        ScsiTask task = await h.RunAsync(Cdbs.Read10(1500, 1), dataIn: 512);

        AssertCheckCondition(task, SenseKey.HardwareError, Asc.InternalTargetFailure);
    }

    [Fact]
    public async Task ReportedLunsDataChanged_RaisedForEveryNexus()
    {
        LuHarness h = await CreateAsync();
        await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus);

        h.Unit.OnEvent(LogicalUnitEvent.ReportedLunsDataChanged, null);

        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady()), SenseKey.UnitAttention, Asc.ReportedLunsDataHasChanged);
        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus), SenseKey.UnitAttention, Asc.ReportedLunsDataHasChanged);
    }

    [Fact]
    public async Task UnitAttentions_AreReportedOldestFirst()
    {
        LuHarness h = await CreateAsync();
        h.Unit.RaiseUnitAttention(Asc.ModeParametersChanged, except: null);
        h.Unit.RaiseUnitAttention(Asc.CapacityDataHasChanged, except: null);

        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady()), SenseKey.UnitAttention, Asc.ModeParametersChanged);
        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady()), SenseKey.UnitAttention, Asc.CapacityDataHasChanged);
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady()));
    }
}
