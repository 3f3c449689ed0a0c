using NetScsi.Scsi.Commands;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;

namespace NetScsi.Scsi.Tests.Emulation;

public sealed class BlockLogicalUnitReservationTests
{
    private static byte[] Reserve6() => [ScsiOpcode.Reserve6, 0, 0, 0, 0, 0];

    private static byte[] Release6() => [ScsiOpcode.Release6, 0, 0, 0, 0, 0];

    private static async Task<LuHarness> TwoNexusesAsync()
    {
        LuHarness h = await CreateAsync();
        await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus);
        return h;
    }

    [Fact]
    public async Task Reserve6_OtherNexusGetsReservationConflict()
    {
        LuHarness h = await TwoNexusesAsync();

        AssertGood(await h.RunAsync(Reserve6()));

        ScsiTask read = await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512, nexus: OtherNexus);
        Assert.Equal(ScsiStatus.ReservationConflict, read.Status);
        Assert.Equal(0, read.SenseLength);
        Assert.Equal(ScsiStatus.ReservationConflict, (await h.RunAsync(Reserve6(), nexus: OtherNexus)).Status);
        AssertGood(await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512));
    }

    [Fact]
    public async Task Reserve6_InquiryAndRequestSenseStillAllowed()
    {
        LuHarness h = await TwoNexusesAsync();
        AssertGood(await h.RunAsync(Reserve6()));

        AssertGood(await h.RunAsync(Cdbs.Inquiry(), dataIn: 96, nexus: OtherNexus));
        AssertGood(await h.RunAsync(Cdbs.RequestSense(), dataIn: 252, nexus: OtherNexus));
    }

    [Fact]
    public async Task Release6_ByHolder_ReleasesReservation()
    {
        LuHarness h = await TwoNexusesAsync();
        AssertGood(await h.RunAsync(Reserve6()));

        AssertGood(await h.RunAsync(Release6(), nexus: OtherNexus)); // not the holder: GOOD, no effect
        Assert.Equal(ScsiStatus.ReservationConflict, (await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus)).Status);

        AssertGood(await h.RunAsync(Release6()));
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus));
    }

    [Fact]
    public async Task Reserve6_HolderNexusLoss_ReleasesReservation()
    {
        LuHarness h = await TwoNexusesAsync();
        AssertGood(await h.RunAsync(Reserve6()));

        h.Unit.OnEvent(LogicalUnitEvent.NexusLoss, DefaultNexus);

        Assert.Null(h.Unit.ReservationHolder);
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus));
    }

    [Fact]
    public async Task Reserve6_LogicalUnitReset_ReleasesReservation()
    {
        LuHarness h = await TwoNexusesAsync();
        AssertGood(await h.RunAsync(Reserve6()));

        h.Unit.OnEvent(LogicalUnitEvent.LogicalUnitReset, null);

        Assert.Null(h.Unit.ReservationHolder);
    }

    [Fact]
    public async Task Reserve10_ThirdParty_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();
        byte[] cdb = new byte[10];
        cdb[0] = ScsiOpcode.Reserve10;
        cdb[1] = 0x10;

        AssertCheckCondition(await h.RunAsync(cdb), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }
}
