using NetScsi.Scsi.Emulation;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;
using static NetScsi.Scsi.Tests.Emulation.PersistentReservationCdbs;

namespace NetScsi.Scsi.Tests.Emulation;

/// <summary>SPC-4 §5.13.5 APTPL with <see cref="LogicalUnitOptions.ReservationStatePath"/>.</summary>
public sealed class BlockLogicalUnitPersistThroughPowerLossTests : IDisposable
{
    private const byte Aptpl = 0x01;
    private readonly string _directory = Directory.CreateTempSubdirectory("netscsi-pr-").FullName;

    private string StatePath => Path.Combine(_directory, "lun0.img.pr");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>READ RESERVATION: (key, type), or null without a reservation.</summary>
    private LogicalUnitOptions WithStatePath() => new() { ReservationStatePath = StatePath };

    /// <summary>A unit on the state path as after a power cycle: every nexus has met its power-on unit attention.</summary>
    private async Task<LuHarness> PowerOnAsync()
    {
        LuHarness h = await CreateAsync(options: WithStatePath());
        await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus);
        await h.RunAsync(Cdbs.TestUnitReady(), nexus: ThirdNexus);
        return h;
    }

    private static async Task<(byte Byte2, byte Byte3)> ReportCapabilitiesAsync(LuHarness h)
    {
        ScsiTask task = await h.RunAsync(PrIn(0x02), dataIn: 8);
        AssertGood(task);
        return (DataIn(task)[2], DataIn(task)[3]);
    }

    [Fact]
    public async Task Aptpl_RegistrationsAndReservation_SurviveRecreatingTheUnitOnTheSameStatePath()
    {
        LuHarness before = await PowerOnAsync();
        AssertGood(await before.RunAsync(PrOut(0x00), dataOut: PrParameters(0, 0xAA, Aptpl)));
        AssertGood(await before.RunAsync(PrOut(0x06), dataOut: PrParameters(0, 0xBB, Aptpl), nexus: OtherNexus));
        AssertGood(await before.RunAsync(PrOut(0x01, PersistentReservationType.WriteExclusive), dataOut: PrParameters(0xAA)));
        Assert.True(File.Exists(StatePath));

        LuHarness after = await PowerOnAsync();

        Assert.Equal(new ulong[] { 0xAA, 0xBB }, await ReadKeysAsync(after, DefaultNexus));
        Assert.Equal((0xAAUL, PersistentReservationType.WriteExclusive), await ReadReservationAsync(after, DefaultNexus));
        AssertGood(await after.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512]));
        Assert.Equal(ScsiStatus.ReservationConflict, (await after.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512], nexus: OtherNexus)).Status);
        Assert.Equal(ScsiStatus.ReservationConflict, (await after.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512], nexus: ThirdNexus)).Status);
        // PRgeneration starts over at power on (SPC-4 §6.15.2).
        Assert.Equal(0u, U32(DataIn(await after.RunAsync(PrIn(0x00), dataIn: 1024)), 0));
        Assert.Equal(0x01, (await ReportCapabilitiesAsync(after)).Byte3 & 0x01); // PTPL_A
    }

    [Fact]
    public async Task Aptpl_EveryLaterChangeIsWritten_ReleaseSurvivesRecreating()
    {
        LuHarness before = await PowerOnAsync();
        AssertGood(await before.RunAsync(PrOut(0x00), dataOut: PrParameters(0, 0xAA, Aptpl)));
        AssertGood(await before.RunAsync(PrOut(0x01, PersistentReservationType.ExclusiveAccess), dataOut: PrParameters(0xAA)));
        AssertGood(await before.RunAsync(PrOut(0x02, PersistentReservationType.ExclusiveAccess), dataOut: PrParameters(0xAA)));

        LuHarness after = await PowerOnAsync();

        Assert.Equal(new ulong[] { 0xAA }, await ReadKeysAsync(after, DefaultNexus));
        Assert.Null(await ReadReservationAsync(after, DefaultNexus));
    }

    [Fact]
    public async Task AptplZero_InALaterRegister_TurnsPersistenceOffAndDeletesTheStateFile()
    {
        LuHarness before = await PowerOnAsync();
        AssertGood(await before.RunAsync(PrOut(0x00), dataOut: PrParameters(0, 0xAA, Aptpl)));
        Assert.True(File.Exists(StatePath));

        AssertGood(await before.RunAsync(PrOut(0x00), dataOut: PrParameters(0xAA, 0xAB)));

        Assert.False(File.Exists(StatePath));
        Assert.Equal(0, (await ReportCapabilitiesAsync(before)).Byte3 & 0x01); // PTPL_A
        LuHarness after = await PowerOnAsync();
        Assert.Empty(await ReadKeysAsync(after, DefaultNexus));
    }

    [Fact]
    public async Task ReportCapabilities_WithStatePath_SetsPtplC_AndPtplAFollowsTheLastRegister()
    {
        LuHarness h = await PowerOnAsync();

        (byte byte2, byte byte3) = await ReportCapabilitiesAsync(h);
        Assert.Equal(0x11, byte2); // CRH, PTPL_C; RLR_C, SIP_C, ATP_C = 0
        Assert.Equal(0xB0, byte3); // TMV, ALLOW COMMANDS 011b, PTPL_A = 0

        AssertGood(await h.RunAsync(PrOut(0x00), dataOut: PrParameters(0, 0xAA, Aptpl)));
        Assert.Equal(0xB1, (await ReportCapabilitiesAsync(h)).Byte3);
    }

    [Fact]
    public async Task ReportCapabilities_WithoutStatePath_ClearsPtplC()
    {
        LuHarness h = await CreateAsync();

        (byte byte2, byte byte3) = await ReportCapabilitiesAsync(h);

        Assert.Equal(0x10, byte2);
        Assert.Equal(0xB0, byte3);
    }

    [Fact]
    public async Task Aptpl_OnAServiceActionOtherThanRegister_IsIgnored()
    {
        LuHarness h = await CreateAsync();
        AssertGood(await h.RunAsync(PrOut(0x00), dataOut: PrParameters(0, 0xAA)));

        AssertGood(await h.RunAsync(PrOut(0x01, PersistentReservationType.WriteExclusive), dataOut: PrParameters(0xAA, flags: Aptpl)));

        Assert.Equal(PersistentReservationType.WriteExclusive, h.Unit.PersistentReservation);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"format\":\"netscsi-persistent-reservations\",\"version\":99,\"registrants\":[],\"reservation\":null}")]
    [InlineData("{\"format\":\"netscsi-persistent-reservations\",\"version\":1,\"registrants\":[],\"reservation\":{\"type\":1,\"scope\":0,\"holder\":0}}")]
    [InlineData("{\"format\":\"netscsi-persistent-reservations\",\"version\":1,\"registrants\":[{\"initiatorName\":\"a\",\"initiatorPortName\":\"a,i,0x1\",\"relativeTargetPortId\":1,\"key\":\"12\"}],\"reservation\":null}")]
    public void CorruptStateFile_ConstructingTheUnit_ThrowsInvalidDataExceptionNamingThePath(string content)
    {
        File.WriteAllText(StatePath, content);

        var e = Assert.Throws<InvalidDataException>(() => new BlockLogicalUnit(new TestBlockDevice(1024, 512, true, false), WithStatePath()));

        Assert.Contains(StatePath, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StateFileCannotBeWritten_RegisterEndsWithHardwareError_AndChangesNothing()
    {
        var options = new LogicalUnitOptions { ReservationStatePath = Path.Combine(_directory, "missing-directory", "lun0.pr") };
        LuHarness h = await CreateAsync(options: options);

        AssertCheckCondition(await h.RunAsync(PrOut(0x00), dataOut: PrParameters(0, 0xAA, Aptpl)), SenseKey.HardwareError, Asc.InternalTargetFailure);

        Assert.Empty(await ReadKeysAsync(h, DefaultNexus));
        Assert.Equal(0, (await ReportCapabilitiesAsync(h)).Byte3 & 0x01);
    }

    [Fact]
    public async Task StateFile_IsVersionedJsonWithRegistrantsAndReservation()
    {
        LuHarness h = await PowerOnAsync();
        AssertGood(await h.RunAsync(PrOut(0x00), dataOut: PrParameters(0, 0xAA, Aptpl)));
        AssertGood(await h.RunAsync(PrOut(0x01, PersistentReservationType.ExclusiveAccessRegistrantsOnly), dataOut: PrParameters(0xAA)));

        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(StatePath));
        var root = document.RootElement;

        Assert.Equal("netscsi-persistent-reservations", root.GetProperty("format").GetString());
        Assert.Equal(2, root.GetProperty("version").GetInt32());
        var registrant = Assert.Single(root.GetProperty("registrants").EnumerateArray());
        Assert.Equal(Convert.ToHexString(DefaultNexus.InitiatorPort.Bytes), registrant.GetProperty("initiatorPort").GetString());
        Assert.Equal(Convert.ToHexString(DefaultNexus.InitiatorDevice.Bytes), registrant.GetProperty("initiatorDevice").GetString());
        Assert.Equal(1, registrant.GetProperty("relativeTargetPortId").GetInt32());
        Assert.Equal("0x00000000000000aa", registrant.GetProperty("key").GetString());
        Assert.Equal(6, root.GetProperty("reservation").GetProperty("type").GetInt32());
        Assert.Equal(0, root.GetProperty("reservation").GetProperty("holder").GetInt32());
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));
    }

    private const string Version1File = """
        {"format":"netscsi-persistent-reservations","version":1,
         "registrants":[{"initiatorName":"iqn.2024-01.test:init2","initiatorPortName":"iqn.2024-01.test:init2,i,0x000000000002","relativeTargetPortId":2,"key":"0x00000000000000bb"}],
         "reservation":{"type":1,"scope":0,"holder":0}}
        """;

    [Fact]
    public async Task Version1StateFile_ReadThroughTheTransport_RestoresTheRegistrantAsTheNexusTheTransportCreates()
    {
        await File.WriteAllTextAsync(StatePath, Version1File);
        var options = new LogicalUnitOptions { ReservationStatePath = StatePath, Version1Registrant = NetScsi.Iscsi.Session.IscsiTransportIdCodec.FromVersion1Names };

        LuHarness h = await CreateAsync(options: options);
        await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus);

        Assert.Equal((0xBBUL, PersistentReservationType.WriteExclusive), await ReadReservationAsync(h, DefaultNexus));
        AssertGood(await h.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512], nexus: OtherNexus));
        Assert.Equal(ScsiStatus.ReservationConflict, (await h.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512])).Status);
    }

    [Fact]
    public async Task Version1StateFile_WithoutATransportToReadIt_IsRefusedNamingTheFile()
    {
        await File.WriteAllTextAsync(StatePath, Version1File);

        var e = Assert.Throws<InvalidDataException>(() => new BlockLogicalUnit(new TestBlockDevice(), WithStatePath()));

        Assert.Contains(StatePath, e.Message, StringComparison.Ordinal);
        Assert.Contains("version 1", e.Message, StringComparison.Ordinal);
    }
}
