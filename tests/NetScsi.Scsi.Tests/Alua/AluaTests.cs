using NetScsi.Iscsi.Session;
using NetScsi.Scsi.Alua;
using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Tests.Emulation;
using static NetScsi.Scsi.Tests.Alua.AluaCdbs;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;

namespace NetScsi.Scsi.Tests.Alua;

/// <summary>Asymmetric logical unit access (SPC-4 §5.15) on a block unit: groups, states, gating, unit attentions.</summary>
public sealed class AluaTests
{
    /// <summary>A nexus through the peer group's port (3).</summary>
    private static readonly ItNexus PeerPortNexus = IscsiTransportIdCodec.CreateNexus("iqn.2024-01.test:init3", 3, 3);

    /// <summary>Local group 1 (ports 1 and 2, where the harness nexuses come in), peer group 2 (port 3).</summary>
    internal static TargetPortGroupRegistry Registry(
        AsymmetricAccessState local = AsymmetricAccessState.ActiveOptimized,
        AluaTransitions transitions = AluaTransitions.Implicit | AluaTransitions.Explicit) =>
        new(transitions, [(1, [1, 2], true, local), (2, [3], false, AsymmetricAccessState.ActiveNonOptimized)], implicitTransitionTimeSeconds: 12);

    private static async Task<(UnitHarness H, TargetPortGroupRegistry Registry)> StartAsync(
        AsymmetricAccessState local = AsymmetricAccessState.ActiveOptimized,
        AluaTransitions transitions = AluaTransitions.Implicit | AluaTransitions.Explicit)
    {
        TargetPortGroupRegistry registry = Registry(local, transitions);
        var unit = new BlockLogicalUnit(new TestBlockDevice(1024, 512, thin: true, readOnly: false), new LogicalUnitOptions { Alua = registry });
        return (await UnitHarness.StartAsync(unit, OtherNexus), registry);
    }

    [Theory]
    [InlineData(AluaTransitions.Implicit, 0x10)]
    [InlineData(AluaTransitions.Explicit, 0x20)]
    [InlineData(AluaTransitions.Implicit | AluaTransitions.Explicit, 0x30)]
    public async Task Inquiry_TpgsBits_AreTheProvidersTransitions(AluaTransitions transitions, int tpgs)
    {
        (UnitHarness h, _) = await StartAsync(transitions: transitions);

        ScsiTask task = await h.RunAsync(Cdbs.Inquiry(), dataIn: 255);

        Assert.Equal(tpgs, DataIn(task)[5] & 0x30);
    }

    [Fact]
    public async Task Inquiry_WithoutAlua_TpgsIsZero_AndReportTargetPortGroupsIsRefused()
    {
        UnitHarness h = await UnitHarness.StartAsync(new BlockLogicalUnit(new TestBlockDevice(1024, 512, thin: true, readOnly: false), new LogicalUnitOptions()));

        Assert.Equal(0, DataIn(await h.RunAsync(Cdbs.Inquiry(), dataIn: 255))[5] & 0x30);
        AssertCheckCondition(await h.RunAsync(ReportTargetPortGroups(), dataIn: 1024), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
        AssertCheckCondition(await h.RunAsync(SetTargetPortGroups(0)), SenseKey.IllegalRequest, Asc.InvalidCommandOperationCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReportTargetPortGroups_ListsEveryGroupWithItsStateAndPorts(bool extended)
    {
        (UnitHarness h, _) = await StartAsync();

        ScsiTask task = await h.RunAsync(ReportTargetPortGroups(extended), dataIn: 1024);

        AssertGood(task);
        ReadOnlySpan<byte> d = DataIn(task);
        Assert.Equal(d.Length - 4, (int)U32(d, 0));
        if (extended)
        {
            Assert.Equal(0x10, d[4] & 0x70); // FORMAT TYPE 001b
            Assert.Equal(12, d[5]); // IMPLICIT TRANSITION TIME
        }
        var groups = ParseGroups(d, extended);
        Assert.Equal(2, groups.Count);
        Assert.Equal((1, AsymmetricAccessState.ActiveOptimized), (groups[0].Id, groups[0].State));
        Assert.Equal([1, 2], groups[0].Ports);
        Assert.Equal((2, AsymmetricAccessState.ActiveNonOptimized), (groups[1].Id, groups[1].State));
        Assert.Equal([3], groups[1].Ports);
        Assert.Equal(0x8F, groups[0].Supported); // T_SUP, U_SUP, S_SUP, AN_SUP, AO_SUP
    }

    [Fact]
    public async Task ReportTargetPortGroups_ReservedParameterDataFormat_IsInvalidFieldInCdb()
    {
        (UnitHarness h, _) = await StartAsync();
        byte[] cdb = ReportTargetPortGroups();
        cdb[1] |= 0x40;

        AssertCheckCondition(await h.RunAsync(cdb, dataIn: 1024), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task DeviceIdentification_NamesTheRelativeTargetPortAndTheGroupOfTheNexusPort()
    {
        (UnitHarness h, _) = await StartAsync();
        ItNexus peer = PeerPortNexus;
        await h.RunAsync(Cdbs.TestUnitReady(), nexus: peer);

        (ushort Port, ushort Group) Designators(ReadOnlySpan<byte> d)
        {
            ushort port = 0, group = 0;
            for (int offset = 4; offset < d.Length; offset += 4 + d[offset + 3])
            {
                int type = d[offset + 1] & 0x0F;
                int association = (d[offset + 1] >> 4) & 0x03;
                if (association == 1 && type == 4)
                {
                    port = U16(d, offset + 6);
                }
                else if (association == 1 && type == 5)
                {
                    group = U16(d, offset + 6);
                }
            }
            return (port, group);
        }

        Assert.Equal((2, 1), Designators(DataIn(await h.RunAsync(Cdbs.Inquiry(evpd: true, page: VpdPage.DeviceIdentification), dataIn: 255, nexus: OtherNexus))));
        Assert.Equal((3, 2), Designators(DataIn(await h.RunAsync(Cdbs.Inquiry(evpd: true, page: VpdPage.DeviceIdentification), dataIn: 255, nexus: peer))));
    }

    [Theory]
    [InlineData(AsymmetricAccessState.Standby, Asc.LogicalUnitNotAccessibleTargetPortInStandbyState)]
    [InlineData(AsymmetricAccessState.Unavailable, Asc.LogicalUnitNotAccessibleTargetPortInUnavailableState)]
    [InlineData(AsymmetricAccessState.Transitioning, Asc.LogicalUnitNotAccessibleAsymmetricAccessStateTransition)]
    public async Task InactiveState_RefusesMediaCommandsNotReady_WithTheStatesSense(AsymmetricAccessState state, ushort asc)
    {
        (UnitHarness h, _) = await StartAsync(state);

        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady()), SenseKey.NotReady, asc);
        AssertCheckCondition(await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512), SenseKey.NotReady, asc);
        AssertCheckCondition(await h.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512]), SenseKey.NotReady, asc);
        AssertCheckCondition(await h.RunAsync(Cdbs.ReadCapacity10(), dataIn: 8), SenseKey.NotReady, asc);
        // Always admitted: INQUIRY, REPORT LUNS, REPORT TARGET PORT GROUPS, REQUEST SENSE (which says why).
        AssertGood(await h.RunAsync(Cdbs.Inquiry(), dataIn: 255));
        AssertGood(await h.RunAsync(Cdbs.ReportLuns(), dataIn: 4096));
        AssertGood(await h.RunAsync(ReportTargetPortGroups(), dataIn: 1024));
        ScsiTask sense = await h.RunAsync(Cdbs.RequestSense(), dataIn: 252);
        AssertGood(sense);
        Assert.True(SenseData.TryParse(DataIn(sense), out SenseKey key, out byte code, out byte qualifier));
        Assert.Equal((SenseKey.NotReady, asc), (key, (ushort)((code << 8) | qualifier)));
    }

    [Fact]
    public async Task Standby_AdmitsModeSenseAndPersistentReserveIn_UnavailableDoesNot()
    {
        (UnitHarness standby, _) = await StartAsync(AsymmetricAccessState.Standby);
        (UnitHarness unavailable, _) = await StartAsync(AsymmetricAccessState.Unavailable);
        byte[] prIn = [ScsiOpcode.PersistentReserveIn, PersistentReserveInCdb.ReadKeys, 0, 0, 0, 0, 0, 0, 64, 0];

        AssertGood(await standby.RunAsync(Cdbs.ModeSense6(0x3F), dataIn: 255));
        AssertGood(await standby.RunAsync(prIn, dataIn: 64));
        AssertCheckCondition(await unavailable.RunAsync(Cdbs.ModeSense6(0x3F), dataIn: 255), SenseKey.NotReady, Asc.LogicalUnitNotAccessibleTargetPortInUnavailableState);
        AssertCheckCondition(await unavailable.RunAsync(prIn, dataIn: 64), SenseKey.NotReady, Asc.LogicalUnitNotAccessibleTargetPortInUnavailableState);
    }

    [Fact]
    public async Task ActiveNonOptimized_RunsEveryCommand()
    {
        (UnitHarness h, _) = await StartAsync(AsymmetricAccessState.ActiveNonOptimized);

        AssertGood(await h.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512]));
        AssertGood(await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512));
    }

    [Fact]
    public async Task ImplicitChange_GivesEveryNexusAsymmetricAccessStateChanged_ThenTheNewStateApplies()
    {
        (UnitHarness h, TargetPortGroupRegistry registry) = await StartAsync();

        registry.SetState(1, AsymmetricAccessState.Standby);

        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady()), SenseKey.UnitAttention, Asc.AsymmetricAccessStateChanged);
        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus), SenseKey.UnitAttention, Asc.AsymmetricAccessStateChanged);
        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady()), SenseKey.NotReady, Asc.LogicalUnitNotAccessibleTargetPortInStandbyState);
        var groups = ParseGroups(DataIn(await h.RunAsync(ReportTargetPortGroups(), dataIn: 1024)), extended: false);
        Assert.Equal((AsymmetricAccessState.Standby, (byte)TargetPortGroupStatus.AlteredImplicitly), (groups[0].State, groups[0].Status));
    }

    [Fact]
    public async Task ImplicitChange_ToTheSameState_RaisesNoUnitAttention()
    {
        (UnitHarness h, TargetPortGroupRegistry registry) = await StartAsync();

        registry.SetState(1, AsymmetricAccessState.ActiveOptimized);

        AssertGood(await h.RunAsync(Cdbs.TestUnitReady()));
    }

    [Fact]
    public async Task SetTargetPortGroups_ChangesTheLocalGroup_UnitAttentionForTheOtherNexusesOnly()
    {
        (UnitHarness h, TargetPortGroupRegistry registry) = await StartAsync();
        byte[] parameters = SetTargetPortGroupsParameters((1, AsymmetricAccessState.ActiveNonOptimized));

        AssertGood(await h.RunAsync(SetTargetPortGroups((uint)parameters.Length), dataOut: parameters));

        Assert.Equal(AsymmetricAccessState.ActiveNonOptimized, registry.Find(1)!.State);
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady()));
        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus), SenseKey.UnitAttention, Asc.AsymmetricAccessStateChanged);
        var groups = ParseGroups(DataIn(await h.RunAsync(ReportTargetPortGroups(), dataIn: 1024)), extended: false);
        Assert.Equal((byte)TargetPortGroupStatus.AlteredBySetTargetPortGroups, groups[0].Status);
    }

    [Theory]
    [InlineData(2, AsymmetricAccessState.ActiveOptimized, 6)] // the peer's group: not this gateway's to change
    [InlineData(9, AsymmetricAccessState.ActiveOptimized, 6)] // no such group
    [InlineData(1, AsymmetricAccessState.Transitioning, 4)] // a state a SET may not ask for
    public async Task SetTargetPortGroups_RefusedDescriptor_IsInvalidFieldInParameterList_AndChangesNothing(ushort group, AsymmetricAccessState state, int fieldOffset)
    {
        (UnitHarness h, TargetPortGroupRegistry registry) = await StartAsync();
        byte[] parameters = SetTargetPortGroupsParameters((1, AsymmetricAccessState.Standby), (group, state));

        ScsiTask task = await h.RunAsync(SetTargetPortGroups((uint)parameters.Length), dataOut: parameters);

        AssertCheckCondition(task, SenseKey.IllegalRequest, Asc.InvalidFieldInParameterList);
        Assert.True(SenseData.TryGetKeySpecific(task.Sense, out SenseKeySpecific pointer));
        Assert.Equal(fieldOffset + 4, pointer.FieldPointerOffset);
        Assert.Equal(AsymmetricAccessState.ActiveOptimized, registry.Find(1)!.State);
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus));
    }

    [Fact]
    public async Task SetTargetPortGroups_ParameterListNotWholeDescriptors_IsParameterListLengthError()
    {
        (UnitHarness h, _) = await StartAsync();

        AssertCheckCondition(await h.RunAsync(SetTargetPortGroups(6), dataOut: new byte[6]), SenseKey.IllegalRequest, Asc.ParameterListLengthError);
    }

    [Fact]
    public async Task SetTargetPortGroups_FromStandby_IsAdmitted_AndMakesThePortActive()
    {
        (UnitHarness h, _) = await StartAsync(AsymmetricAccessState.Standby);
        byte[] parameters = SetTargetPortGroupsParameters((1, AsymmetricAccessState.ActiveOptimized));

        AssertGood(await h.RunAsync(SetTargetPortGroups((uint)parameters.Length), dataOut: parameters));

        AssertGood(await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512));
    }

    [Fact]
    public async Task ImplicitOnly_SetTargetPortGroupsIsAnInvalidOperationCode_AndNotReported()
    {
        (UnitHarness h, _) = await StartAsync(transitions: AluaTransitions.Implicit);
        byte[] parameters = SetTargetPortGroupsParameters((1, AsymmetricAccessState.Standby));

        AssertCheckCondition(await h.RunAsync(SetTargetPortGroups((uint)parameters.Length), dataOut: parameters), SenseKey.IllegalRequest, Asc.InvalidCommandOperationCode);
        ScsiTask one = await h.RunAsync(Cdbs.ReportSupportedOperationCodes(ReportSupportedOperationCodesCdb.OneServiceAction, ScsiOpcode.MaintenanceOut, ScsiOpcode.SetTargetPortGroupsServiceAction), dataIn: 64);
        AssertGood(one);
        Assert.Equal(0x01, DataIn(one)[1] & 0x07); // SUPPORT: not supported
        ScsiTask rtpg = await h.RunAsync(Cdbs.ReportSupportedOperationCodes(ReportSupportedOperationCodesCdb.OneServiceAction, ScsiOpcode.MaintenanceIn, ScsiOpcode.ReportTargetPortGroupsServiceAction), dataIn: 64);
        Assert.Equal(0x03, DataIn(rtpg)[1] & 0x07);
    }

    [Fact]
    public void Registry_RefusesAPortInTwoGroups_AGroupListedTwice_AndNoTransitions()
    {
        Assert.Throws<ArgumentException>(() => new TargetPortGroupRegistry(AluaTransitions.Implicit, [(1, [1], true, AsymmetricAccessState.Standby), (2, [1], false, AsymmetricAccessState.Standby)]));
        Assert.Throws<ArgumentException>(() => new TargetPortGroupRegistry(AluaTransitions.Implicit, [(1, [1], true, AsymmetricAccessState.Standby), (1, [2], false, AsymmetricAccessState.Standby)]));
        Assert.Throws<ArgumentException>(() => new TargetPortGroupRegistry(AluaTransitions.None, [(1, [1], true, AsymmetricAccessState.Standby)]));
        Assert.Throws<ArgumentException>(() => new TargetPortGroupRegistry(AluaTransitions.Implicit, [(0, [1], true, AsymmetricAccessState.Standby)]));
    }

    [Theory]
    [InlineData("ao", AsymmetricAccessState.ActiveOptimized)]
    [InlineData("Active/Non-Optimized", AsymmetricAccessState.ActiveNonOptimized)]
    [InlineData("standby", AsymmetricAccessState.Standby)]
    [InlineData("unavailable", AsymmetricAccessState.Unavailable)]
    [InlineData("transitioning", AsymmetricAccessState.Transitioning)]
    public void StateNames_Parse(string text, AsymmetricAccessState expected)
    {
        Assert.True(AsymmetricAccessStates.TryParse(text, out AsymmetricAccessState state));
        Assert.Equal(expected, state);
        Assert.False(AsymmetricAccessStates.TryParse("offline", out _));
    }
}
