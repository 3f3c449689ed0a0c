using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Emulation;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;
using static NetScsi.Scsi.Tests.Emulation.PersistentReservationCdbs;

namespace NetScsi.Scsi.Tests.Emulation;

/// <summary>
/// What every device type built on the SPC-4 core (<see cref="ScsiLogicalUnit"/>) must do alike: standard INQUIRY
/// data and the core VPD pages, unit attentions, REQUEST SENSE, TEST UNIT READY, reservations, and a REPORT
/// SUPPORTED OPERATION CODES that lists exactly the commands the unit accepts. Run against each device type.
/// </summary>
public abstract class LogicalUnitContractTests
{
    /// <summary>A fresh unit of the device type.</summary>
    protected abstract ScsiLogicalUnit CreateUnit();

    /// <summary>The PERIPHERAL DEVICE TYPE the device type reports.</summary>
    protected abstract byte ExpectedDeviceType { get; }

    private Task<UnitHarness> StartAsync(params ItNexus[] others) => UnitHarness.StartAsync(CreateUnit(), others);

    [Fact]
    public async Task Inquiry_StandardData_HasTheSpc4Shape_AndTheDeviceType()
    {
        UnitHarness h = await StartAsync();

        ScsiTask task = await h.RunAsync(Cdbs.Inquiry(allocationLength: 255), dataIn: 255);

        AssertGood(task);
        ReadOnlySpan<byte> d = DataIn(task);
        Assert.Equal(ScsiLogicalUnit.StandardInquiryLength, d.Length);
        Assert.Equal(ExpectedDeviceType, d[0]); // PERIPHERAL QUALIFIER 000b
        Assert.Equal(ExpectedDeviceType, h.Unit.PeripheralDeviceType);
        Assert.Equal(0x06, d[2]); // SPC-4
        Assert.Equal(0x12, d[3]); // HISUP, RESPONSE DATA FORMAT 2
        Assert.Equal(d.Length - 5, d[4]);
        Assert.Equal(0x02, d[7] & 0x02); // CMDQUE
        foreach (byte b in d[8..36])
        {
            Assert.InRange(b, (byte)0x20, (byte)0x7E);
        }
        Assert.Equal(0x00A0, U16(d, 58)); // SAM-5
        Assert.Equal(0x0460, U16(d, 60)); // SPC-4
        Assert.True(StandardInquiryData.TryParse(d, out StandardInquiryData parsed));
        Assert.Equal("NETSCSI", parsed.VendorId);
    }

    [Fact]
    public async Task Inquiry_EveryListedVpdPage_IsReturned_AndNoOtherPageIs()
    {
        UnitHarness h = await StartAsync();
        ScsiTask supported = await h.RunAsync(Cdbs.Inquiry(evpd: true, page: VpdPage.SupportedPages), dataIn: 255);
        AssertGood(supported);
        byte[] pages = DataIn(supported)[4..].ToArray();

        Assert.Equal(pages.Length, U16(DataIn(supported), 2));
        Assert.Equal(pages.Order().ToArray(), pages);
        Assert.Contains(VpdPage.SupportedPages, pages);
        Assert.Contains(VpdPage.UnitSerialNumber, pages);
        Assert.Contains(VpdPage.DeviceIdentification, pages);
        for (int code = 0; code <= byte.MaxValue; code++)
        {
            ScsiTask task = await h.RunAsync(Cdbs.Inquiry(evpd: true, page: (byte)code, allocationLength: 512), dataIn: 512);
            if (Array.IndexOf(pages, (byte)code) >= 0)
            {
                AssertGood(task);
                Assert.Equal(ExpectedDeviceType, DataIn(task)[0]);
                Assert.Equal(code, DataIn(task)[VpdPage.PageCodeOffset]);
                Assert.Equal(DataIn(task).Length, VpdPage.HeaderLength + U16(DataIn(task), VpdPage.PageLengthOffset));
            }
            else
            {
                AssertCheckCondition(task, SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
            }
        }
    }

    [Fact]
    public async Task Inquiry_DeviceIdentification_NamesTheUnitByAnNaaDesignatorTheTargetDeviceResolves()
    {
        UnitHarness h = await StartAsync();

        ReadOnlySpan<byte> d = DataIn(await h.RunAsync(Cdbs.Inquiry(evpd: true, page: VpdPage.DeviceIdentification), dataIn: 255));

        Assert.Equal(0x01, d[4] & 0x0F); // binary
        Assert.Equal(0x03, d[5] & 0x0F); // NAA
        byte[] naa = d.Slice(8, d[7]).ToArray();
        Assert.Equal(0x6, naa[0] >> 4);
        Assert.True(h.Unit.HasDesignator(1, 3, naa));
        Assert.True(h.Device.TryFindByDesignator(1, 3, naa, out ILogicalUnit found));
        Assert.Same(h.Unit, found);
    }

    [Fact]
    public async Task Inquiry_UnitSerialNumber_IsTheUnitsSerialNumber()
    {
        UnitHarness h = await StartAsync();

        ReadOnlySpan<byte> d = DataIn(await h.RunAsync(Cdbs.Inquiry(evpd: true, page: VpdPage.UnitSerialNumber), dataIn: 255));

        Assert.Equal(h.Unit.SerialNumber, System.Text.Encoding.ASCII.GetString(d[4..]));
    }

    [Fact]
    public async Task FirstCommand_GetsPowerOnUnitAttention_ThenTestUnitReadyIsGood()
    {
        var h = new UnitHarness(CreateUnit());

        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady()), SenseKey.UnitAttention, Asc.PowerOnResetOrBusDeviceResetOccurred);
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady()));
    }

    [Fact]
    public async Task InquiryReportLunsAndRequestSense_NeitherReportNorClearAUnitAttention_RequestSenseReturnsIt()
    {
        var h = new UnitHarness(CreateUnit());

        AssertGood(await h.RunAsync(Cdbs.Inquiry(), dataIn: 255));
        AssertGood(await h.RunAsync(Cdbs.ReportLuns(), dataIn: 4096));
        ScsiTask sense = await h.RunAsync(Cdbs.RequestSense(), dataIn: 252);

        AssertGood(sense);
        Assert.True(SenseData.TryParse(DataIn(sense), out SenseKey key, out byte asc, out byte ascq));
        Assert.Equal((SenseKey.UnitAttention, Asc.PowerOnResetOrBusDeviceResetOccurred), (key, (ushort)((asc << 8) | ascq)));
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady()));
    }

    [Theory]
    [InlineData(false, SenseData.FixedCurrentResponseCode)]
    [InlineData(true, SenseData.DescriptorCurrentResponseCode)]
    public async Task RequestSense_NothingPending_IsNoSenseInTheFormatAsked(bool descriptor, byte responseCode)
    {
        UnitHarness h = await StartAsync();

        ScsiTask task = await h.RunAsync(Cdbs.RequestSense(desc: descriptor), dataIn: 252);

        AssertGood(task);
        Assert.Equal(responseCode, DataIn(task)[0] & 0x7F);
        Assert.True(SenseData.TryParse(DataIn(task), out SenseKey key, out byte asc, out _));
        Assert.Equal((SenseKey.NoSense, (byte)0), (key, asc));
    }

    [Fact]
    public async Task LogicalUnitReset_GivesEveryNexusBusDeviceResetFunctionOccurred()
    {
        UnitHarness h = await StartAsync(OtherNexus);

        h.Unit.OnEvent(LogicalUnitEvent.LogicalUnitReset, DefaultNexus);

        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady()), SenseKey.UnitAttention, Asc.BusDeviceResetFunctionOccurred);
        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus), SenseKey.UnitAttention, Asc.BusDeviceResetFunctionOccurred);
    }

    [Fact]
    public async Task NexusLoss_GivesThatNexusItNexusLossOccurred_AndNoOtherNexus()
    {
        UnitHarness h = await StartAsync(OtherNexus);

        h.Unit.OnEvent(LogicalUnitEvent.NexusLoss, DefaultNexus);

        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady()), SenseKey.UnitAttention, Asc.ItNexusLossOccurred);
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus));
    }

    [Fact]
    public async Task ReportSupportedOperationCodes_ListsExactlyTheOperationCodesTheUnitAccepts()
    {
        UnitHarness first = await StartAsync();
        Dictionary<byte, List<ushort?>> listed = await ListedCommandsAsync(first);

        for (int opcode = 0; opcode <= byte.MaxValue; opcode++)
        {
            int length = CdbDecoder.GetCdbLength((byte)opcode);
            if (length == 0)
            {
                Assert.False(listed.ContainsKey((byte)opcode), $"{opcode:X2}h is listed but has no CDB length");
                continue;
            }
            ushort?[] serviceActions = listed.TryGetValue((byte)opcode, out List<ushort?>? actions) ? [.. actions] : [null];
            foreach (ushort? serviceAction in serviceActions)
            {
                // A fresh unit for every probe: some commands change state (SANITIZE, START STOP UNIT, RESERVE).
                UnitHarness h = await StartAsync();
                byte[] cdb = new byte[length];
                cdb[0] = (byte)opcode;
                if (serviceAction is ushort action)
                {
                    cdb[1] = (byte)action;
                }
                ScsiTask task = await h.RunAsync(cdb, dataIn: 4096);
                (SenseKey key, ushort asc) = SenseOf(task);
                bool invalidOpcode = task.Status == ScsiStatus.CheckCondition && key == SenseKey.IllegalRequest && asc == Asc.InvalidCommandOperationCode;
                if (!listed.ContainsKey((byte)opcode))
                {
                    Assert.True(invalidOpcode, $"{opcode:X2}h is not listed but answered {task.Status} {key} {asc:X4}");
                    continue;
                }
                Assert.False(invalidOpcode, $"{opcode:X2}h/{serviceAction} is listed but refused as an invalid operation code");
                if (serviceAction is not null && asc == Asc.InvalidFieldInCdb)
                {
                    Assert.True(SenseData.TryGetKeySpecific(task.Sense, out SenseKeySpecific pointer));
                    Assert.False(pointer.CommandData && pointer.FieldPointerOffset == 1, $"{opcode:X2}h/{serviceAction:X2}h is listed but its service action is refused");
                }
            }
        }
    }

    [Fact]
    public async Task ReportSupportedOperationCodes_EachListedCommand_IsReportedSupportedWithItsCdbUsage()
    {
        UnitHarness h = await StartAsync();

        foreach ((byte opcode, List<ushort?> serviceActions) in await ListedCommandsAsync(h))
        {
            foreach (ushort? serviceAction in serviceActions)
            {
                byte options = serviceAction is null ? ReportSupportedOperationCodesCdb.OneCommand : ReportSupportedOperationCodesCdb.OneServiceAction;
                ScsiTask task = await h.RunAsync(Cdbs.ReportSupportedOperationCodes(options, opcode, serviceAction ?? 0), dataIn: 64);
                AssertGood(task);
                ReadOnlySpan<byte> d = DataIn(task);
                Assert.Equal(0x03, d[1] & 0x07); // SUPPORT: in conformance with a standard
                Assert.Equal(CdbDecoder.GetCdbLength(opcode), U16(d, 2));
                Assert.Equal(opcode, d[4]);
                Assert.Equal(0x04, d[4 + U16(d, 2) - 1]); // the control byte reports NACA only
            }
        }
    }

    [Fact]
    public async Task NacaBit_IsInvalidFieldInCdbPointingAtTheControlByte()
    {
        UnitHarness h = await StartAsync();

        ScsiTask task = await h.RunAsync([ScsiOpcode.TestUnitReady, 0, 0, 0, 0, CdbFields.NacaBit]);

        AssertCheckCondition(task, SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
        Assert.True(SenseData.TryGetKeySpecific(task.Sense, out SenseKeySpecific pointer));
        Assert.Equal((5, CdbFields.NacaBitNumber), (pointer.FieldPointerOffset, pointer.BitPointer));
    }

    [Fact]
    public async Task CdbShorterThanItsGroup_IsInvalidFieldInCdb()
    {
        UnitHarness h = await StartAsync();

        AssertCheckCondition(await h.RunAsync([ScsiOpcode.Inquiry, 0, 0]), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task Reserve6_ByAnotherNexus_MakesTestUnitReadyConflict_UntilReleased()
    {
        UnitHarness h = await StartAsync(OtherNexus);

        AssertGood(await h.RunAsync([ScsiOpcode.Reserve6, 0, 0, 0, 0, 0], nexus: OtherNexus));

        Assert.Equal(ScsiStatus.ReservationConflict, (await h.RunAsync(Cdbs.TestUnitReady())).Status);
        AssertGood(await h.RunAsync(Cdbs.Inquiry(), dataIn: 255));
        AssertGood(await h.RunAsync([ScsiOpcode.Release6, 0, 0, 0, 0, 0], nexus: OtherNexus));
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady()));
    }

    [Fact]
    public async Task PersistentReserveOut_Register_ShowsInReadKeysOfEveryNexus()
    {
        UnitHarness h = await StartAsync(OtherNexus);

        AssertGood(await h.RunAsync(PrOut(PersistentReserveOutCdb.Register), dataOut: PrParameters(0, 0xAB)));

        ScsiTask keys = await h.RunAsync(PrIn(PersistentReserveInCdb.ReadKeys), dataIn: 64, nexus: OtherNexus);
        AssertGood(keys);
        Assert.Equal(8u, U32(DataIn(keys), 4));
        Assert.Equal(0xABUL, U64(DataIn(keys), 8));
    }

    /// <summary>REPORT SUPPORTED OPERATION CODES (all): operation code → its service actions (null: none).</summary>
    private static async Task<Dictionary<byte, List<ushort?>>> ListedCommandsAsync(UnitHarness h)
    {
        ScsiTask task = await h.RunAsync(Cdbs.ReportSupportedOperationCodes(ReportSupportedOperationCodesCdb.AllCommands, allocationLength: 8192), dataIn: 8192);
        AssertGood(task);
        ReadOnlySpan<byte> d = DataIn(task);
        var listed = new Dictionary<byte, List<ushort?>>();
        for (int offset = 4; offset < 4 + U32(d, 0); offset += 8)
        {
            ushort? serviceAction = (d[offset + 5] & 0x01) != 0 ? U16(d, offset + 2) : null;
            if (!listed.TryGetValue(d[offset], out List<ushort?>? actions))
            {
                listed[d[offset]] = actions = [];
            }
            actions.Add(serviceAction);
        }
        return listed;
    }
}
