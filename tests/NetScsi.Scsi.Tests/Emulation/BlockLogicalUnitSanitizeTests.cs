using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Emulation;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;

namespace NetScsi.Scsi.Tests.Emulation;

public sealed class BlockLogicalUnitSanitizeTests
{
    private static readonly LogicalUnitOptions Unthrottled = new() { SanitizeBytesPerSecond = 0 };

    private static byte[] SanitizeCdb(byte serviceAction, int parameterListLength = 0, bool immediate = false) =>
        [ScsiOpcode.Sanitize, (byte)((immediate ? 0x80 : 0x00) | serviceAction), 0, 0, 0, 0, 0, (byte)(parameterListLength >> 8), (byte)parameterListLength, 0];

    private static byte[] OverwriteParameters(byte count, params byte[] pattern)
    {
        byte[] p = new byte[4 + pattern.Length];
        p[0] = count;
        p[2] = (byte)(pattern.Length >> 8);
        p[3] = (byte)pattern.Length;
        pattern.CopyTo(p, 4);
        return p;
    }

    [Fact]
    public async Task SanitizeOverwrite_WritesPatternOverEveryBlock()
    {
        LuHarness h = await CreateAsync(blocks: 64, options: Unthrottled);
        h.Device.Fill(0, 64, 0x61);
        byte[] parameters = OverwriteParameters(1, 0xAA, 0x55, 0x11, 0x22);

        AssertGood(await h.RunAsync(SanitizeCdb(ScsiOpcode.SanitizeOverwrite, parameters.Length), dataOut: parameters));

        Assert.Equal(new byte[] { 0xAA, 0x55, 0x11, 0x22, 0xAA }, h.Device.Block(0)[..5].ToArray());
        Assert.Equal(0x22, h.Device.Block(63)[511]);
    }

    [Fact]
    public async Task SanitizeBlockErase_DeallocatesEveryBlock()
    {
        LuHarness h = await CreateAsync(blocks: 64, options: Unthrottled);
        h.Device.Fill(0, 64, 0x61);

        AssertGood(await h.RunAsync(SanitizeCdb(ScsiOpcode.SanitizeBlockErase)));

        Assert.False(h.Device.IsMapped(0));
        Assert.False(h.Device.IsMapped(63));
        Assert.Equal(0, h.Device.Block(63)[0]);
    }

    [Fact]
    public async Task SanitizeBlockErase_FullyProvisionedUnit_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync(thin: false, options: Unthrottled);

        AssertCheckCondition(await h.RunAsync(SanitizeCdb(ScsiOpcode.SanitizeBlockErase)), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Theory]
    [InlineData(ScsiOpcode.SanitizeCryptoErase)]
    [InlineData(0x00)]
    [InlineData(0x04)]
    [InlineData(0x1E)]
    public async Task Sanitize_UnsupportedServiceAction_ReturnsInvalidFieldInCdb(byte serviceAction)
    {
        LuHarness h = await CreateAsync(options: Unthrottled);

        AssertCheckCondition(await h.RunAsync(SanitizeCdb(serviceAction)), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Theory]
    [InlineData(1, 0x40)]
    [InlineData(2, 0x02)]
    [InlineData(6, 0x06)]
    public async Task Sanitize_ReservedCdbBits_ReturnInvalidFieldInCdb(int offset, byte value)
    {
        LuHarness h = await CreateAsync(options: Unthrottled);
        byte[] cdb = SanitizeCdb(ScsiOpcode.SanitizeBlockErase);
        cdb[offset] |= value;

        AssertCheckCondition(await h.RunAsync(cdb), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(517)]
    public async Task SanitizeOverwrite_ParameterListLengthOutOfRange_ReturnsInvalidFieldInCdb(int length)
    {
        LuHarness h = await CreateAsync(options: Unthrottled);

        AssertCheckCondition(await h.RunAsync(SanitizeCdb(ScsiOpcode.SanitizeOverwrite, length), dataOut: new byte[Math.Max(length, 1)]), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task SanitizeOverwrite_ZeroCountOrPatternLength_ReturnsInvalidFieldInParameterList()
    {
        LuHarness h = await CreateAsync(options: Unthrottled);
        byte[] zeroCount = OverwriteParameters(0, 1, 2, 3, 4);
        byte[] zeroPattern = new byte[8];
        zeroPattern[0] = 1;

        AssertCheckCondition(await h.RunAsync(SanitizeCdb(ScsiOpcode.SanitizeOverwrite, 8), dataOut: zeroCount), SenseKey.IllegalRequest, Asc.InvalidFieldInParameterList);
        AssertCheckCondition(await h.RunAsync(SanitizeCdb(ScsiOpcode.SanitizeOverwrite, 8), dataOut: zeroPattern), SenseKey.IllegalRequest, Asc.InvalidFieldInParameterList);
    }

    [Fact]
    public async Task SanitizeBlockErase_NonZeroParameterListLength_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync(options: Unthrottled);

        AssertCheckCondition(await h.RunAsync(SanitizeCdb(ScsiOpcode.SanitizeBlockErase, 8), dataOut: new byte[8]), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task Sanitize_WriteProtected_ReturnsDataProtect()
    {
        LuHarness h = await CreateAsync(options: new LogicalUnitOptions { ReadOnly = true });

        AssertCheckCondition(await h.RunAsync(SanitizeCdb(ScsiOpcode.SanitizeBlockErase)), SenseKey.DataProtect, Asc.WriteProtected);
    }

    [Fact]
    public async Task Sanitize_InProgress_RefusesMediaCommandsAndReportsProgress()
    {
        (LuHarness h, TaskCompletionSource gate) = await StartHeldOverwriteAsync(0xAA);

        Assert.True(h.Unit.IsSanitizing);
        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady()), SenseKey.NotReady, Asc.LogicalUnitNotReadySanitizeInProgress);
        AssertCheckCondition(await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512), SenseKey.NotReady, Asc.LogicalUnitNotReadySanitizeInProgress);
        AssertGood(await h.RunAsync(Cdbs.Inquiry(), dataIn: 96));
        ScsiTask sense = await h.RunAsync(Cdbs.RequestSense(), dataIn: 252);
        AssertGood(sense);
        Assert.Equal(0x02, DataIn(sense)[2] & 0x0F); // NOT READY
        Assert.Equal(0x04, DataIn(sense)[12]);
        Assert.Equal(0x1B, DataIn(sense)[13]);
        Assert.Equal(0x80, DataIn(sense)[15] & 0x80); // SKSV: progress indication

        // Resets do not stop it.
        h.Unit.OnEvent(LogicalUnitEvent.LogicalUnitReset, DefaultNexus);
        Assert.True(h.Unit.IsSanitizing);

        await ReleaseAndWaitForSanitizeAsync(h, gate);
        Assert.False(h.Unit.IsSanitizing);
        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady()), SenseKey.UnitAttention, Asc.BusDeviceResetFunctionOccurred);
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady()));
        Assert.Equal(0xAA, h.Device.Block(63)[511]);
    }

    /// <summary>
    /// What libiscsi's Sanitize.Reset checks after its resets: SBC-4 §4.11 suspends a sanitize only while a
    /// reset is processed and resumes it, and never stops it for I_T nexus loss. A TARGET COLD RESET (a power
    /// on, RFC 7143 §11.5.1) and the loss of the nexus that started it leave it running; a nexus that logs in
    /// afterwards first hears of the reset (SPC-4 §5.14, unit attention), then NOT READY, SANITIZE IN PROGRESS.
    /// </summary>
    [Fact]
    public async Task Sanitize_InProgress_SurvivesColdResetAndNexusLoss_NewNexusSeesUnitAttentionThenSanitizeInProgress()
    {
        (LuHarness h, TaskCompletionSource gate) = await StartHeldOverwriteAsync(0x3C);

        h.Unit.OnEvent(LogicalUnitEvent.TargetColdReset, DefaultNexus);
        h.Unit.OnEvent(LogicalUnitEvent.NexusLoss, DefaultNexus);
        Assert.True(h.Unit.IsSanitizing);

        var newNexus = NetScsi.Iscsi.Session.IscsiTransportIdCodec.CreateNexus("iqn.2024-01.test:init1", 3, 1);
        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady(), nexus: newNexus), SenseKey.UnitAttention, Asc.PowerOnResetOrBusDeviceResetOccurred);
        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady(), nexus: newNexus), SenseKey.NotReady, Asc.LogicalUnitNotReadySanitizeInProgress);

        await ReleaseAndWaitForSanitizeAsync(h, gate);
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady(), nexus: newNexus));
        Assert.Equal(0x3C, h.Device.Block(63)[0]);
    }

    [Fact]
    public async Task Sanitize_CommandAborted_OperationContinues()
    {
        LuHarness h = await CreateAsync(blocks: 64, options: Unthrottled);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Device.Gate = gate;
        byte[] parameters = OverwriteParameters(1, 0x5A);
        using var cts = new CancellationTokenSource();
        ScsiTask task = NewTask(SanitizeCdb(ScsiOpcode.SanitizeOverwrite, parameters.Length), dataOut: parameters);
        ValueTask pending = h.Unit.ExecuteAsync(task, cts.Token);
        await Task.Delay(20);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);

        Assert.True(h.Unit.IsSanitizing);
        await ReleaseAndWaitForSanitizeAsync(h, gate);
        Assert.Equal(0x5A, h.Device.Block(63)[0]);
    }

    [Fact]
    public async Task Sanitize_DeviceFails_EntersFailureModeUntilExitFailureMode()
    {
        LuHarness h = await CreateAsync(blocks: 64, options: Unthrottled);
        h.Device.FailWrites = true;
        byte[] parameters = OverwriteParameters(1, 0x5A);

        AssertCheckCondition(await h.RunAsync(SanitizeCdb(ScsiOpcode.SanitizeOverwrite, parameters.Length), dataOut: parameters), SenseKey.MediumError, Asc.SanitizeCommandFailed);
        AssertCheckCondition(await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512), SenseKey.MediumError, Asc.SanitizeCommandFailed);

        AssertGood(await h.RunAsync(SanitizeCdb(ScsiOpcode.SanitizeExitFailureMode)));
        AssertGood(await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512));
    }

    [Fact]
    public async Task Sanitize_OtherNexusHoldsReservation_ReturnsReservationConflict()
    {
        LuHarness h = await CreateAsync(options: Unthrottled);
        await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus);
        AssertGood(await h.RunAsync([ScsiOpcode.Reserve6, 0, 0, 0, 0, 0], nexus: OtherNexus));

        ScsiTask task = await h.RunAsync(SanitizeCdb(ScsiOpcode.SanitizeBlockErase));

        Assert.Equal(ScsiStatus.ReservationConflict, task.Status);
    }

    [Fact]
    public async Task ReportSupportedOperationCodes_ListsSanitizeServiceActions()
    {
        LuHarness h = await CreateAsync(options: Unthrottled);

        foreach (byte serviceAction in new byte[] { ScsiOpcode.SanitizeOverwrite, ScsiOpcode.SanitizeBlockErase, ScsiOpcode.SanitizeExitFailureMode })
        {
            ScsiTask task = await h.RunAsync(Cdbs.ReportSupportedOperationCodes(2, ScsiOpcode.Sanitize, serviceAction), dataIn: 4096);
            Assert.Equal(0x03, DataIn(task)[1] & 0x07);
        }
        ScsiTask crypto = await h.RunAsync(Cdbs.ReportSupportedOperationCodes(2, ScsiOpcode.Sanitize, ScsiOpcode.SanitizeCryptoErase), dataIn: 4096);
        Assert.Equal(0x01, DataIn(crypto)[1] & 0x07);
    }

    /// <summary>Lets the gated device go on and waits (up to 2 s) for the sanitize to finish.</summary>
    /// <summary>
    /// Starts an immediate OVERWRITE of a 64-block unit with <paramref name="pattern"/> whose device writes wait on
    /// the returned gate, so the sanitize stays in progress until <see cref="ReleaseAndWaitForSanitizeAsync"/>.
    /// </summary>
    private static async Task<(LuHarness Harness, TaskCompletionSource Gate)> StartHeldOverwriteAsync(byte pattern)
    {
        LuHarness h = await CreateAsync(blocks: 64, options: Unthrottled);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Device.Gate = gate;
        byte[] parameters = OverwriteParameters(1, pattern);
        AssertGood(await h.RunAsync(SanitizeCdb(ScsiOpcode.SanitizeOverwrite, parameters.Length, immediate: true), dataOut: parameters));
        return (h, gate);
    }

    private static async Task ReleaseAndWaitForSanitizeAsync(LuHarness h, TaskCompletionSource gate)
    {
        h.Device.Gate = null;
        gate.SetResult();
        for (int i = 0; i < 200 && h.Unit.IsSanitizing; i++)
        {
            await Task.Delay(10);
        }
    }
}
