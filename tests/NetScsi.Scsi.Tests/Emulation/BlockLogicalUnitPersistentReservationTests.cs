using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Emulation;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;
using static NetScsi.Scsi.Tests.Emulation.PersistentReservationCdbs;

namespace NetScsi.Scsi.Tests.Emulation;

public sealed class BlockLogicalUnitPersistentReservationTests
{
    private static async Task<LuHarness> ThreeNexusesAsync()
    {
        LuHarness h = await CreateAsync();
        await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus);
        await h.RunAsync(Cdbs.TestUnitReady(), nexus: ThirdNexus);
        return h;
    }

    private static Task<ScsiTask> RegisterAsync(LuHarness h, ItNexus nexus, ulong key) =>
        h.RunAsync(PrOut(0x00), dataOut: PrParameters(0, key), nexus: nexus);

    private static Task<ScsiTask> ReserveAsync(LuHarness h, ItNexus nexus, ulong key, PersistentReservationType type) =>
        h.RunAsync(PrOut(0x01, type), dataOut: PrParameters(key), nexus: nexus);

    private static async Task<ulong[]> ReadKeysAsync(LuHarness h, ItNexus nexus)
    {
        ScsiTask task = await h.RunAsync(PrIn(0x00), dataIn: 1024, nexus: nexus);
        AssertGood(task);
        ReadOnlySpan<byte> d = DataIn(task);
        int count = (int)U32(d, 4) / 8;
        ulong[] keys = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            keys[i] = U64(d, 8 + (8 * i));
        }
        Array.Sort(keys);
        return keys;
    }

    [Fact]
    public async Task Register_ThenReadKeys_ListsKeysAndBumpsGeneration()
    {
        LuHarness h = await ThreeNexusesAsync();

        AssertGood(await RegisterAsync(h, DefaultNexus, 0xAA));
        AssertGood(await RegisterAsync(h, OtherNexus, 0xBB));

        Assert.Equal(new ulong[] { 0xAAUL, 0xBBUL }, await ReadKeysAsync(h, ThirdNexus));
        ScsiTask task = await h.RunAsync(PrIn(0x00), dataIn: 1024);
        Assert.Equal(2u, U32(DataIn(task), 0));
    }

    [Fact]
    public async Task Register_WrongCurrentKey_ReturnsReservationConflict()
    {
        LuHarness h = await ThreeNexusesAsync();
        AssertGood(await RegisterAsync(h, DefaultNexus, 0xAA));

        ScsiTask task = await h.RunAsync(PrOut(0x00), dataOut: PrParameters(0x11, 0xCC));

        Assert.Equal(ScsiStatus.ReservationConflict, task.Status);
    }

    [Fact]
    public async Task RegisterAndIgnoreExistingKey_ReplacesKey_AndZeroUnregisters()
    {
        LuHarness h = await ThreeNexusesAsync();
        AssertGood(await RegisterAsync(h, DefaultNexus, 0xAA));

        AssertGood(await h.RunAsync(PrOut(0x06), dataOut: PrParameters(0x999, 0xCC)));
        Assert.Equal(new ulong[] { 0xCCUL }, await ReadKeysAsync(h, DefaultNexus));

        AssertGood(await h.RunAsync(PrOut(0x06), dataOut: PrParameters(0, 0)));
        Assert.Empty(await ReadKeysAsync(h, DefaultNexus));
    }

    [Fact]
    public async Task WriteExclusive_OtherNexusCanReadButNotWrite()
    {
        LuHarness h = await ThreeNexusesAsync();
        AssertGood(await RegisterAsync(h, DefaultNexus, 0xAA));
        AssertGood(await ReserveAsync(h, DefaultNexus, 0xAA, PersistentReservationType.WriteExclusive));

        AssertGood(await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512, nexus: OtherNexus));
        Assert.Equal(ScsiStatus.ReservationConflict, (await h.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512], nexus: OtherNexus)).Status);
        AssertGood(await h.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512]));
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus));
    }

    [Fact]
    public async Task ExclusiveAccess_OtherNexusCannotRead()
    {
        LuHarness h = await ThreeNexusesAsync();
        AssertGood(await RegisterAsync(h, DefaultNexus, 0xAA));
        AssertGood(await ReserveAsync(h, DefaultNexus, 0xAA, PersistentReservationType.ExclusiveAccess));

        Assert.Equal(ScsiStatus.ReservationConflict, (await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512, nexus: OtherNexus)).Status);
        AssertGood(await h.RunAsync(Cdbs.Inquiry(), dataIn: 96, nexus: OtherNexus));
        AssertGood(await h.RunAsync(Cdbs.ReadCapacity10(), dataIn: 8, nexus: OtherNexus));
    }

    [Fact]
    public async Task WriteExclusiveRegistrantsOnly_RegistrantsMayWrite()
    {
        LuHarness h = await ThreeNexusesAsync();
        AssertGood(await RegisterAsync(h, DefaultNexus, 0xAA));
        AssertGood(await RegisterAsync(h, OtherNexus, 0xBB));
        AssertGood(await ReserveAsync(h, DefaultNexus, 0xAA, PersistentReservationType.WriteExclusiveRegistrantsOnly));

        AssertGood(await h.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512], nexus: OtherNexus));
        Assert.Equal(ScsiStatus.ReservationConflict, (await h.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512], nexus: ThirdNexus)).Status);
    }

    [Fact]
    public async Task Reserve_Unregistered_ReturnsReservationConflict()
    {
        LuHarness h = await ThreeNexusesAsync();

        Assert.Equal(ScsiStatus.ReservationConflict, (await ReserveAsync(h, DefaultNexus, 0, PersistentReservationType.WriteExclusive)).Status);
    }

    [Fact]
    public async Task Reserve_HeldByAnother_ReturnsReservationConflict()
    {
        LuHarness h = await ThreeNexusesAsync();
        AssertGood(await RegisterAsync(h, DefaultNexus, 0xAA));
        AssertGood(await RegisterAsync(h, OtherNexus, 0xBB));
        AssertGood(await ReserveAsync(h, DefaultNexus, 0xAA, PersistentReservationType.WriteExclusive));

        Assert.Equal(ScsiStatus.ReservationConflict, (await ReserveAsync(h, OtherNexus, 0xBB, PersistentReservationType.WriteExclusive)).Status);
        AssertGood(await ReserveAsync(h, DefaultNexus, 0xAA, PersistentReservationType.WriteExclusive));
    }

    [Fact]
    public async Task ReadReservation_ReportsHolderKeyAndType()
    {
        LuHarness h = await ThreeNexusesAsync();
        AssertGood(await RegisterAsync(h, DefaultNexus, 0xAA));
        AssertGood(await ReserveAsync(h, DefaultNexus, 0xAA, PersistentReservationType.ExclusiveAccess));

        ScsiTask task = await h.RunAsync(PrIn(0x01), dataIn: 1024, nexus: OtherNexus);
        ReadOnlySpan<byte> d = DataIn(task);

        AssertGood(task);
        Assert.Equal(24, d.Length);
        Assert.Equal(16u, U32(d, 4));
        Assert.Equal(0xAAUL, U64(d, 8));
        Assert.Equal(0x03, d[21]);
    }

    [Fact]
    public async Task Release_ByHolder_EndsReservation_WrongTypeIsInvalidRelease()
    {
        LuHarness h = await ThreeNexusesAsync();
        AssertGood(await RegisterAsync(h, DefaultNexus, 0xAA));
        AssertGood(await ReserveAsync(h, DefaultNexus, 0xAA, PersistentReservationType.WriteExclusive));

        AssertCheckCondition(await h.RunAsync(PrOut(0x02, PersistentReservationType.ExclusiveAccess), dataOut: PrParameters(0xAA)), SenseKey.IllegalRequest, Asc.InvalidReleaseOfPersistentReservation);
        AssertGood(await h.RunAsync(PrOut(0x02, PersistentReservationType.WriteExclusive), dataOut: PrParameters(0xAA)));

        Assert.Equal(PersistentReservationType.None, h.Unit.PersistentReservation);
        AssertGood(await h.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512], nexus: OtherNexus));
    }

    [Fact]
    public async Task Unregister_ByHolder_ReleasesReservation()
    {
        LuHarness h = await ThreeNexusesAsync();
        AssertGood(await RegisterAsync(h, DefaultNexus, 0xAA));
        AssertGood(await ReserveAsync(h, DefaultNexus, 0xAA, PersistentReservationType.WriteExclusive));

        AssertGood(await h.RunAsync(PrOut(0x00), dataOut: PrParameters(0xAA, 0)));

        Assert.Equal(PersistentReservationType.None, h.Unit.PersistentReservation);
    }

    [Fact]
    public async Task Clear_RemovesEverything_AndOthersGetReservationsPreempted()
    {
        LuHarness h = await ThreeNexusesAsync();
        AssertGood(await RegisterAsync(h, DefaultNexus, 0xAA));
        AssertGood(await RegisterAsync(h, OtherNexus, 0xBB));
        AssertGood(await ReserveAsync(h, DefaultNexus, 0xAA, PersistentReservationType.WriteExclusive));

        AssertGood(await h.RunAsync(PrOut(0x03), dataOut: PrParameters(0xAA)));

        Assert.Empty(await ReadKeysAsync(h, DefaultNexus));
        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus), SenseKey.UnitAttention, Asc.ReservationsPreempted);
    }

    [Fact]
    public async Task Preempt_HolderKey_MovesReservationAndRemovesHolderRegistration()
    {
        LuHarness h = await ThreeNexusesAsync();
        AssertGood(await RegisterAsync(h, DefaultNexus, 0xAA));
        AssertGood(await RegisterAsync(h, OtherNexus, 0xBB));
        AssertGood(await ReserveAsync(h, DefaultNexus, 0xAA, PersistentReservationType.WriteExclusive));

        AssertGood(await h.RunAsync(PrOut(0x04, PersistentReservationType.ExclusiveAccess), dataOut: PrParameters(0xBB, 0xAA), nexus: OtherNexus));

        Assert.Equal(new ulong[] { 0xBBUL }, await ReadKeysAsync(h, OtherNexus));
        Assert.Equal(PersistentReservationType.ExclusiveAccess, h.Unit.PersistentReservation);
        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady()), SenseKey.UnitAttention, Asc.RegistrationsPreempted);
        Assert.Equal(ScsiStatus.ReservationConflict, (await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512)).Status);
    }

    [Fact]
    public async Task Preempt_UnknownKey_ReturnsReservationConflict()
    {
        LuHarness h = await ThreeNexusesAsync();
        AssertGood(await RegisterAsync(h, DefaultNexus, 0xAA));

        Assert.Equal(ScsiStatus.ReservationConflict, (await h.RunAsync(PrOut(0x04, PersistentReservationType.WriteExclusive), dataOut: PrParameters(0xAA, 0x1234))).Status);
    }

    [Fact]
    public async Task AllRegistrants_PreemptWithZeroKey_TakesOverReservation()
    {
        LuHarness h = await ThreeNexusesAsync();
        AssertGood(await RegisterAsync(h, DefaultNexus, 0xAA));
        AssertGood(await RegisterAsync(h, OtherNexus, 0xBB));
        AssertGood(await ReserveAsync(h, DefaultNexus, 0xAA, PersistentReservationType.ExclusiveAccessAllRegistrants));
        AssertGood(await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512, nexus: OtherNexus));

        AssertGood(await h.RunAsync(PrOut(0x04, PersistentReservationType.WriteExclusive), dataOut: PrParameters(0xBB, 0), nexus: OtherNexus));

        Assert.Equal(new ulong[] { 0xBBUL }, await ReadKeysAsync(h, OtherNexus));
        Assert.Equal(PersistentReservationType.WriteExclusive, h.Unit.PersistentReservation);
    }

    [Fact]
    public async Task PersistentReserveOut_WrongParameterListLength_ReturnsParameterListLengthError()
    {
        LuHarness h = await ThreeNexusesAsync();

        AssertCheckCondition(await h.RunAsync(PrOut(0x00, parameterListLength: 20), dataOut: new byte[20]), SenseKey.IllegalRequest, Asc.ParameterListLengthError);
    }

    [Fact]
    public async Task PersistentReserveOut_Aptpl_ReturnsInvalidFieldInParameterList()
    {
        LuHarness h = await ThreeNexusesAsync();

        AssertCheckCondition(await h.RunAsync(PrOut(0x00), dataOut: PrParameters(0, 0xAA, flags: 0x01)), SenseKey.IllegalRequest, Asc.InvalidFieldInParameterList);
    }

    [Fact]
    public async Task PersistentReserveOut_InvalidType_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await ThreeNexusesAsync();
        AssertGood(await RegisterAsync(h, DefaultNexus, 0xAA));

        AssertCheckCondition(await ReserveAsync(h, DefaultNexus, 0xAA, (PersistentReservationType)0x2), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task ReportCapabilities_ListsSupportedTypes()
    {
        LuHarness h = await ThreeNexusesAsync();

        ScsiTask task = await h.RunAsync(PrIn(0x02), dataIn: 8);
        ReadOnlySpan<byte> d = DataIn(task);

        AssertGood(task);
        Assert.Equal(8, U16(d, 0));
        Assert.Equal(0xEA, d[4]);
        Assert.Equal(0x01, d[5]);
    }

    [Fact]
    public async Task Registrations_BlockSpc2Reserve()
    {
        LuHarness h = await ThreeNexusesAsync();
        AssertGood(await RegisterAsync(h, DefaultNexus, 0xAA));

        Assert.Equal(ScsiStatus.ReservationConflict, (await h.RunAsync([ScsiOpcode.Reserve6, 0, 0, 0, 0, 0])).Status);
    }

    [Fact]
    public async Task Registrations_SurviveNexusLossAndLogicalUnitReset()
    {
        LuHarness h = await ThreeNexusesAsync();
        AssertGood(await RegisterAsync(h, DefaultNexus, 0xAA));
        AssertGood(await ReserveAsync(h, DefaultNexus, 0xAA, PersistentReservationType.WriteExclusive));

        h.Unit.OnEvent(LogicalUnitEvent.NexusLoss, DefaultNexus);
        h.Unit.OnEvent(LogicalUnitEvent.LogicalUnitReset, null);

        Assert.Equal(PersistentReservationType.WriteExclusive, h.Unit.PersistentReservation);
    }

    [Fact]
    public async Task ReadFullStatus_DescribesEachRegistrantWithTransportId()
    {
        LuHarness h = await ThreeNexusesAsync();
        AssertGood(await RegisterAsync(h, DefaultNexus, 0xAA));
        AssertGood(await RegisterAsync(h, OtherNexus, 0xBB));
        AssertGood(await ReserveAsync(h, OtherNexus, 0xBB, PersistentReservationType.WriteExclusive));

        ScsiTask task = await h.RunAsync(PrIn(0x03), dataIn: 4096);
        ReadOnlySpan<byte> d = DataIn(task);

        AssertGood(task);
        Assert.Equal((uint)(d.Length - 8), U32(d, 4));
        int offset = 8;
        int holders = 0;
        while (offset < d.Length)
        {
            ReadOnlySpan<byte> desc = d[offset..];
            ulong key = U64(desc, 0);
            bool holder = (desc[12] & 0x01) != 0;
            int transportIdLength = (int)U32(desc, 20);
            Assert.Equal(0x45, desc[24]); // iSCSI, initiator port format
            Assert.Equal(0, transportIdLength % 4);
            if (holder)
            {
                holders++;
                Assert.Equal(0xBBUL, key);
                Assert.Equal(0x01, desc[13]);
                Assert.Equal(2, U16(desc, 18));
                string name = System.Text.Encoding.ASCII.GetString(desc.Slice(28, transportIdLength - 4)).TrimEnd('\0');
                Assert.Equal(PortName(OtherNexus), name);
            }
            offset += 24 + transportIdLength;
        }
        Assert.Equal(1, holders);
    }

    [Fact]
    public async Task PreemptAndAbort_RaisesTasksAbortRequestedForPreemptedNexuses()
    {
        LuHarness h = await ThreeNexusesAsync();
        AssertGood(await RegisterAsync(h, DefaultNexus, 0xA));
        AssertGood(await RegisterAsync(h, OtherNexus, 0xB));
        AssertGood(await RegisterAsync(h, ThirdNexus, 0xC));
        AssertGood(await ReserveAsync(h, OtherNexus, 0xB, PersistentReservationType.WriteExclusive));
        TasksAbortRequestedEventArgs? raised = null;
        h.Unit.TasksAbortRequested += (_, e) => raised = e;

        AssertGood(await h.RunAsync(PrOut(0x05, PersistentReservationType.ExclusiveAccess), dataOut: PrParameters(0xA, 0xB)));

        Assert.NotNull(raised);
        Assert.Equal(DefaultNexus, raised.Origin);
        Assert.Contains(OtherNexus, raised.Nexuses);
        Assert.DoesNotContain(ThirdNexus, raised.Nexuses);
        Assert.DoesNotContain(DefaultNexus, raised.Nexuses);
    }

    [Fact]
    public async Task Preempt_WithoutAbort_RaisesNoTasksAbortRequested()
    {
        LuHarness h = await ThreeNexusesAsync();
        AssertGood(await RegisterAsync(h, DefaultNexus, 0xA));
        AssertGood(await RegisterAsync(h, OtherNexus, 0xB));
        bool raised = false;
        h.Unit.TasksAbortRequested += (_, _) => raised = true;

        AssertGood(await h.RunAsync(PrOut(0x04, PersistentReservationType.WriteExclusive), dataOut: PrParameters(0xA, 0xB)));

        Assert.False(raised);
    }

    [Theory]
    [InlineData(PersistentReservationType.WriteExclusive, false, true, false)]
    [InlineData(PersistentReservationType.WriteExclusive, true, true, false)]
    [InlineData(PersistentReservationType.ExclusiveAccess, false, false, false)]
    [InlineData(PersistentReservationType.ExclusiveAccess, true, false, false)]
    [InlineData(PersistentReservationType.WriteExclusiveRegistrantsOnly, false, true, false)]
    [InlineData(PersistentReservationType.WriteExclusiveRegistrantsOnly, true, true, true)]
    [InlineData(PersistentReservationType.ExclusiveAccessRegistrantsOnly, false, false, false)]
    [InlineData(PersistentReservationType.ExclusiveAccessRegistrantsOnly, true, true, true)]
    [InlineData(PersistentReservationType.WriteExclusiveAllRegistrants, false, true, false)]
    [InlineData(PersistentReservationType.WriteExclusiveAllRegistrants, true, true, true)]
    [InlineData(PersistentReservationType.ExclusiveAccessAllRegistrants, false, false, false)]
    [InlineData(PersistentReservationType.ExclusiveAccessAllRegistrants, true, true, true)]
    public async Task ReservationTypes_AllowCommandsPerSpc4Table(PersistentReservationType type, bool otherRegistered, bool readAllowed, bool writeAllowed)
    {
        // SPC-4 §5.13.1 table: for a nexus that is not the holder, registered or not. Commands that never
        // conflict (INQUIRY, TEST UNIT READY, READ CAPACITY, PERSISTENT RESERVE IN) run under every type.
        LuHarness h = await ThreeNexusesAsync();
        AssertGood(await RegisterAsync(h, DefaultNexus, 0xA));
        if (otherRegistered)
        {
            AssertGood(await RegisterAsync(h, OtherNexus, 0xB));
        }
        AssertGood(await ReserveAsync(h, DefaultNexus, 0xA, type));

        ScsiTask read = await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512, nexus: OtherNexus);
        ScsiTask write = await h.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512], nexus: OtherNexus);

        Assert.Equal(readAllowed ? ScsiStatus.Good : ScsiStatus.ReservationConflict, read.Status);
        Assert.Equal(writeAllowed ? ScsiStatus.Good : ScsiStatus.ReservationConflict, write.Status);
        AssertGood(await h.RunAsync(Cdbs.Inquiry(), dataIn: 96, nexus: OtherNexus));
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus));
        AssertGood(await h.RunAsync(Cdbs.ReadCapacity10(), dataIn: 8, nexus: OtherNexus));
        AssertGood(await h.RunAsync(PrIn(0x00), dataIn: 1024, nexus: OtherNexus));
        // The holder itself may do both.
        AssertGood(await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512));
        AssertGood(await h.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512]));
    }

    [Theory]
    [InlineData(0x08)] // SPEC_I_PT
    [InlineData(0x04)] // ALL_TG_PT
    public async Task Register_UnsupportedFlags_ReturnInvalidFieldInParameterList(byte flags)
    {
        LuHarness h = await CreateAsync();

        AssertCheckCondition(await h.RunAsync(PrOut(0x00), dataOut: PrParameters(0, 0xA, flags)), SenseKey.IllegalRequest, Asc.InvalidFieldInParameterList);
    }
}
