using System.Buffers.Binary;
using System.Text;
using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Emulation;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;
using static NetScsi.Scsi.Tests.Emulation.PersistentReservationCdbs;

namespace NetScsi.Scsi.Tests.Emulation;

/// <summary>SPC-4 §5.13.8 / §6.16.4: PERSISTENT RESERVE OUT REGISTER AND MOVE.</summary>
public sealed class BlockLogicalUnitRegisterAndMoveTests
{
    private const byte RegisterAndMove = 0x07;
    /// <summary>An iSCSI TransportID (protocol 5h) with the name NUL-terminated and padded to a multiple of 4, at least 20 bytes.</summary>
    private static byte[] TransportId(string name, int format = 1, int protocol = 5)
    {
        int nameLength = Math.Max(20, (Encoding.UTF8.GetByteCount(name) + 1 + 3) & ~3);
        byte[] t = new byte[4 + nameLength];
        t[0] = (byte)((format << 6) | protocol);
        BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(2), (ushort)nameLength);
        Encoding.UTF8.GetBytes(name, t.AsSpan(4));
        return t;
    }

    private static byte[] MoveParameters(ulong key, ulong serviceActionKey, ushort relativeTargetPortId, byte[] transportId, bool unregister = false, bool aptpl = false)
    {
        byte[] p = new byte[24 + transportId.Length];
        BinaryPrimitives.WriteUInt64BigEndian(p, key);
        BinaryPrimitives.WriteUInt64BigEndian(p.AsSpan(8), serviceActionKey);
        p[17] = (byte)((unregister ? 0x02 : 0) | (aptpl ? 0x01 : 0));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(18), relativeTargetPortId);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(20), (uint)transportId.Length);
        transportId.CopyTo(p, 24);
        return p;
    }

    private static Task<ScsiTask> MoveAsync(LuHarness h, byte[] parameters, ItNexus? nexus = null) =>
        h.RunAsync(PrOut(RegisterAndMove, parameterListLength: (uint)parameters.Length), dataOut: parameters, nexus: nexus);

    /// <summary>Three known nexuses; the default one registered with 0xAA and holding a reservation of <paramref name="type"/>.</summary>
    private static async Task<LuHarness> HolderAsync(PersistentReservationType type = PersistentReservationType.WriteExclusive, LogicalUnitOptions? options = null)
    {
        LuHarness h = await CreateAsync(options: options);
        await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus);
        await h.RunAsync(Cdbs.TestUnitReady(), nexus: ThirdNexus);
        AssertGood(await h.RunAsync(PrOut(0x00), dataOut: PrParameters(0, 0xAA)));
        AssertGood(await h.RunAsync(PrOut(0x01, type), dataOut: PrParameters(0xAA)));
        return h;
    }

    private static Task<ScsiTask> WriteAsync(LuHarness h, ItNexus nexus) => h.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512], nexus: nexus);

    [Fact]
    public async Task RegisterAndMove_MovesTheReservationToTheDestination_AndKeepsTheSourceRegistered()
    {
        LuHarness h = await HolderAsync();

        AssertGood(await MoveAsync(h, MoveParameters(0xAA, 0xBB, 2, TransportId(PortName(OtherNexus)))));

        Assert.Equal((0xBBUL, PersistentReservationType.WriteExclusive), await ReadReservationAsync(h, DefaultNexus));
        Assert.Equal(new ulong[] { 0xAA, 0xBB }, await ReadKeysAsync(h, DefaultNexus));
        AssertGood(await WriteAsync(h, OtherNexus));
        Assert.Equal(ScsiStatus.ReservationConflict, (await WriteAsync(h, DefaultNexus)).Status);
    }

    [Fact]
    public async Task RegisterAndMove_WithUnreg_UnregistersTheSource()
    {
        LuHarness h = await HolderAsync();

        AssertGood(await MoveAsync(h, MoveParameters(0xAA, 0xBB, 2, TransportId(PortName(OtherNexus)), unregister: true)));

        Assert.Equal(new ulong[] { 0xBB }, await ReadKeysAsync(h, DefaultNexus));
        Assert.Equal((0xBBUL, PersistentReservationType.WriteExclusive), await ReadReservationAsync(h, OtherNexus));
    }

    [Fact]
    public async Task RegisterAndMove_ToAnAlreadyRegisteredDestination_ReplacesItsKey_AndBumpsGeneration()
    {
        LuHarness h = await HolderAsync(PersistentReservationType.ExclusiveAccess);
        AssertGood(await h.RunAsync(PrOut(0x00), dataOut: PrParameters(0, 0x77), nexus: OtherNexus));
        uint generation = U32(DataIn(await h.RunAsync(PrIn(0x00), dataIn: 1024)), 0);

        AssertGood(await MoveAsync(h, MoveParameters(0xAA, 0xBB, 2, TransportId(PortName(OtherNexus)))));

        Assert.Equal(new ulong[] { 0xAA, 0xBB }, await ReadKeysAsync(h, DefaultNexus));
        Assert.Equal(generation + 1, U32(DataIn(await h.RunAsync(PrIn(0x00), dataIn: 1024)), 0));
        Assert.Equal((0xBBUL, PersistentReservationType.ExclusiveAccess), await ReadReservationAsync(h, DefaultNexus));
    }

    [Fact]
    public async Task RegisterAndMove_ToAPortNotYetLoggedIn_RegistersIt_AndItHoldsTheReservationWhenItArrives()
    {
        LuHarness h = await HolderAsync(PersistentReservationType.ExclusiveAccess);
        var newcomer = NetScsi.Iscsi.Session.IscsiTransportIdCodec.CreateNexus("iqn.2024-01.test:init4", 4, 1);

        AssertGood(await MoveAsync(h, MoveParameters(0xAA, 0xCC, 1, TransportId("IQN.2024-01.test:init4,I,0x4"))));

        await h.RunAsync(Cdbs.TestUnitReady(), nexus: newcomer); // power-on unit attention
        AssertGood(await WriteAsync(h, newcomer));
        AssertGood(await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512, nexus: newcomer));
    }

    [Fact]
    public async Task RegisterAndMove_FormatZeroTransportId_MatchesTheKnownNexusOfThatInitiatorName()
    {
        LuHarness h = await HolderAsync();

        AssertGood(await MoveAsync(h, MoveParameters(0xAA, 0xBB, 2, TransportId(DeviceName(OtherNexus), format: 0))));

        AssertGood(await WriteAsync(h, OtherNexus));
    }

    [Fact]
    public async Task RegisterAndMove_NotTheHolder_ReturnsReservationConflict()
    {
        LuHarness h = await HolderAsync();
        AssertGood(await h.RunAsync(PrOut(0x00), dataOut: PrParameters(0, 0xBB), nexus: OtherNexus));

        ScsiTask task = await MoveAsync(h, MoveParameters(0xBB, 0xCC, 1, TransportId(PortName(ThirdNexus))), OtherNexus);

        Assert.Equal(ScsiStatus.ReservationConflict, task.Status);
        Assert.Equal((0xAAUL, PersistentReservationType.WriteExclusive), await ReadReservationAsync(h, DefaultNexus));
    }

    [Fact]
    public async Task RegisterAndMove_Unregistered_ReturnsReservationConflict()
    {
        LuHarness h = await HolderAsync();

        ScsiTask task = await MoveAsync(h, MoveParameters(0, 0xCC, 1, TransportId(PortName(DefaultNexus))), ThirdNexus);

        Assert.Equal(ScsiStatus.ReservationConflict, task.Status);
    }

    [Fact]
    public async Task RegisterAndMove_WrongReservationKey_ReturnsReservationConflict()
    {
        LuHarness h = await HolderAsync();

        ScsiTask task = await MoveAsync(h, MoveParameters(0xAB, 0xBB, 2, TransportId(PortName(OtherNexus))));

        Assert.Equal(ScsiStatus.ReservationConflict, task.Status);
    }

    [Theory]
    [InlineData(PersistentReservationType.WriteExclusiveAllRegistrants)]
    [InlineData(PersistentReservationType.ExclusiveAccessAllRegistrants)]
    public async Task RegisterAndMove_AllRegistrantsReservation_ReturnsReservationConflict(PersistentReservationType type)
    {
        LuHarness h = await HolderAsync(type);

        ScsiTask task = await MoveAsync(h, MoveParameters(0xAA, 0xBB, 2, TransportId(PortName(OtherNexus))));

        Assert.Equal(ScsiStatus.ReservationConflict, task.Status);
        Assert.Equal(new ulong[] { 0xAA }, await ReadKeysAsync(h, DefaultNexus));
    }

    [Fact]
    public async Task RegisterAndMove_NoReservation_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();
        AssertGood(await h.RunAsync(PrOut(0x00), dataOut: PrParameters(0, 0xAA)));

        AssertCheckCondition(await MoveAsync(h, MoveParameters(0xAA, 0xBB, 2, TransportId(PortName(OtherNexus)))), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Theory]
    [InlineData("iqn.2024-01.test:init1,i,0x000000000001", 1, (ushort)1)] // the sending port
    [InlineData("iqn.2024-01.test:init1,i,0x1", 1, (ushort)2)]            // the same initiator port through another target port
    [InlineData("iqn.2024-01.test:init1", 0, (ushort)1)]                  // the sending initiator by name
    public async Task RegisterAndMove_DestinationIsTheSource_ReturnsInvalidFieldInParameterList(string name, int format, ushort relativeTargetPortId)
    {
        LuHarness h = await HolderAsync();

        AssertCheckCondition(await MoveAsync(h, MoveParameters(0xAA, 0xBB, relativeTargetPortId, TransportId(name, format))), SenseKey.IllegalRequest, Asc.InvalidFieldInParameterList);
        Assert.Equal((0xAAUL, PersistentReservationType.WriteExclusive), await ReadReservationAsync(h, DefaultNexus));
    }

    [Fact]
    public async Task RegisterAndMove_ZeroServiceActionKey_ReturnsInvalidFieldInParameterList()
    {
        LuHarness h = await HolderAsync();

        AssertCheckCondition(await MoveAsync(h, MoveParameters(0xAA, 0, 2, TransportId(PortName(OtherNexus)))), SenseKey.IllegalRequest, Asc.InvalidFieldInParameterList);
    }

    [Theory]
    [InlineData(1, 0x0)]  // Fibre Channel protocol identifier
    [InlineData(1, 0x4)]  // SRP
    [InlineData(2, 0x5)]  // iSCSI, reserved FORMAT CODE 10b
    [InlineData(0, 0x5)]  // iSCSI device name nobody with that name is known
    public async Task RegisterAndMove_UnsupportedOrUnknownTransportId_ReturnsInvalidFieldInParameterList(int format, int protocol)
    {
        LuHarness h = await HolderAsync();
        string name = format == 0 ? "iqn.2024-01.test:nobody" : PortName(OtherNexus);

        AssertCheckCondition(await MoveAsync(h, MoveParameters(0xAA, 0xBB, 2, TransportId(name, format, protocol))), SenseKey.IllegalRequest, Asc.InvalidFieldInParameterList);
        Assert.Equal((0xAAUL, PersistentReservationType.WriteExclusive), await ReadReservationAsync(h, DefaultNexus));
    }

    [Fact]
    public async Task RegisterAndMove_PortNameWithoutIsid_ReturnsInvalidFieldInParameterList()
    {
        LuHarness h = await HolderAsync();

        AssertCheckCondition(await MoveAsync(h, MoveParameters(0xAA, 0xBB, 2, TransportId("iqn.2024-01.test:init2,i,0xnothex"))), SenseKey.IllegalRequest, Asc.InvalidFieldInParameterList);
    }

    [Fact]
    public async Task RegisterAndMove_ParameterListShorterThanTheHeader_ReturnsParameterListLengthError()
    {
        LuHarness h = await HolderAsync();

        ScsiTask task = await h.RunAsync(PrOut(RegisterAndMove, parameterListLength: 20), dataOut: new byte[20]);

        AssertCheckCondition(task, SenseKey.IllegalRequest, Asc.ParameterListLengthError);
    }

    [Theory]
    [InlineData(-4)] // TRANSPORTID PARAMETER DATA LENGTH runs past the list
    [InlineData(4)]  // the list holds more than the header and the TransportID
    public async Task RegisterAndMove_TransportIdLengthDisagreesWithTheList_ReturnsParameterListLengthError(int delta)
    {
        LuHarness h = await HolderAsync();
        byte[] parameters = MoveParameters(0xAA, 0xBB, 2, TransportId(PortName(OtherNexus)));
        BinaryPrimitives.WriteUInt32BigEndian(parameters.AsSpan(20), (uint)(parameters.Length - 24 - delta));

        AssertCheckCondition(await MoveAsync(h, parameters), SenseKey.IllegalRequest, Asc.ParameterListLengthError);
    }

    [Fact]
    public async Task RegisterAndMove_AptplWithoutStatePath_ReturnsInvalidFieldInParameterList()
    {
        LuHarness h = await HolderAsync();

        AssertCheckCondition(await MoveAsync(h, MoveParameters(0xAA, 0xBB, 2, TransportId(PortName(OtherNexus)), aptpl: true)), SenseKey.IllegalRequest, Asc.InvalidFieldInParameterList);
    }

    [Fact]
    public async Task RegisterAndMove_WithAptpl_PersistsTheMovedReservation()
    {
        string directory = Directory.CreateTempSubdirectory("netscsi-pr-move-").FullName;
        try
        {
            var options = new LogicalUnitOptions { ReservationStatePath = Path.Combine(directory, "lun.pr") };
            LuHarness h = await HolderAsync(options: options);

            AssertGood(await MoveAsync(h, MoveParameters(0xAA, 0xBB, 2, TransportId(PortName(OtherNexus)), unregister: true, aptpl: true)));

            LuHarness after = await CreateAsync(options: new LogicalUnitOptions { ReservationStatePath = options.ReservationStatePath });
            Assert.Equal(new ulong[] { 0xBB }, await ReadKeysAsync(after, DefaultNexus));
            Assert.Equal((0xBBUL, PersistentReservationType.WriteExclusive), await ReadReservationAsync(after, DefaultNexus));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task ReportSupportedOperationCodes_ListsRegisterAndMove()
    {
        LuHarness h = await CreateAsync();

        ScsiTask task = await h.RunAsync(Cdbs.ReportSupportedOperationCodes(2, ScsiOpcode.PersistentReserveOut, RegisterAndMove), dataIn: 4096);

        AssertGood(task);
        Assert.Equal(0x03, DataIn(task)[1] & 0x07);
    }
}
