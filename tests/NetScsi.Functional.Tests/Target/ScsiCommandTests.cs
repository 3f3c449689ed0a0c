using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Pdus;
using NetScsi.Iscsi.Session;
using NetScsi.Scsi;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;

namespace NetScsi.Functional.Tests.Target;

/// <summary>Login → I/O → logout over the in-memory data mover.</summary>
public sealed class ScsiCommandTests
{
    private static byte[] Read10(uint lba, ushort blocks) => TestCdbs.Read10(lba, blocks);

    private static byte[] Write10(uint lba, ushort blocks) => TestCdbs.Write10(lba, blocks);

    /// <summary>Collects Data-In payload and the final status for one command.</summary>
    internal static async Task<(byte Status, byte[] Data, byte[] Sense, uint Residual, bool Underflow, bool Overflow)> ReadResultAsync(RawIscsiClient client, int expected)
    {
        var data = new byte[expected];
        int received = 0;
        while (true)
        {
            var (header, payload) = await client.ReceiveAsync();
            switch (Bhs.GetOpcode(header))
            {
                case IscsiOpcode.DataIn:
                    var dataIn = DataInPdu.Parse(header);
                    payload.CopyTo(data, (int)dataIn.BufferOffset);
                    received += payload.Length;
                    if (dataIn.HasStatus)
                    {
                        client.ExpStatSN = dataIn.StatSN + 1;
                        return (dataIn.Status, data[..received], [], dataIn.ResidualCount, dataIn.ResidualUnderflow, dataIn.ResidualOverflow);
                    }
                    break;
                case IscsiOpcode.ScsiResponse:
                    var response = ScsiResponsePdu.Parse(header);
                    client.ExpStatSN = response.StatSN + 1;
                    var sense = payload.Length >= 2 ? payload[2..] : [];
                    return (response.Status, data[..received], sense, response.ResidualCount, response.ResidualUnderflow, response.ResidualOverflow);
                case IscsiOpcode.NopIn:
                    break;
                default:
                    throw new InvalidDataException("Unexpected PDU " + Bhs.GetOpcode(header));
            }
        }
    }

    private static async Task WriteWithR2TsAsync(RawIscsiClient client, byte[] cdb, byte[] payload, int immediate)
    {
        var header = client.BuildScsiCommand(cdb, (uint)payload.Length, read: false, write: true, immediateLength: immediate);
        uint itt = Bhs.GetInitiatorTaskTag(header);
        await client.SendAsync(header, payload.AsMemory(0, immediate));
        int sent = immediate;
        while (sent < payload.Length)
        {
            var (r2tHeader, _) = await client.ReceiveAsync();
            Assert.Equal(IscsiOpcode.ReadyToTransfer, Bhs.GetOpcode(r2tHeader));
            var r2t = ReadyToTransferPdu.Parse(r2tHeader);
            int offset = (int)r2t.BufferOffset;
            int remaining = (int)r2t.DesiredDataTransferLength;
            uint dataSN = 0;
            while (remaining > 0)
            {
                int length = Math.Min(remaining, 8192);
                var dataOut = new byte[Bhs.Length];
                new DataOutPdu
                {
                    Final = length == remaining,
                    InitiatorTaskTag = itt,
                    TargetTransferTag = r2t.TargetTransferTag,
                    ExpStatSN = client.ExpStatSN,
                    DataSN = dataSN++,
                    BufferOffset = (uint)offset,
                    DataSegmentLength = length,
                }.WriteTo(dataOut);
                await client.SendAsync(dataOut, payload.AsMemory(offset, length));
                offset += length;
                remaining -= length;
                sent += length;
            }
        }
    }

    [Fact]
    public async Task LoginWriteReadLogout_RoundTripsData()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync("ImmediateData=Yes", "InitialR2T=Yes", "MaxBurstLength=65536", "FirstBurstLength=8192");

        // The first command of a new nexus reports the power-on unit attention.
        var tur = client.BuildScsiCommand(new byte[6], 0, false, false, 0);
        await client.SendAsync(tur);
        var first = await ReadResultAsync(client, 0);
        Assert.Equal(0x02, first.Status);

        var payload = new byte[256 * 1024];
        new Random(7).NextBytes(payload);
        await WriteWithR2TsAsync(client, Write10(100, 512), payload, immediate: 8192);
        var written = await ReadResultAsync(client, 0);
        Assert.Equal(0, written.Status);

        await client.SendAsync(client.BuildScsiCommand(Read10(100, 512), (uint)payload.Length, true, false, 0));
        var read = await ReadResultAsync(client, payload.Length);
        Assert.Equal(0, read.Status);
        Assert.Equal(payload, read.Data);

        var logout = new byte[Bhs.Length];
        new LogoutRequestPdu { Immediate = true, Reason = LogoutReason.CloseSession, InitiatorTaskTag = 0x77, CmdSN = client.CmdSN, ExpStatSN = client.ExpStatSN }.WriteTo(logout);
        await client.SendAsync(logout);
        var (logoutHeader, _) = await client.ReceiveAsync();
        Assert.Equal(IscsiOpcode.LogoutResponse, Bhs.GetOpcode(logoutHeader));
        Assert.Equal(LogoutResponse.ClosedSuccessfully, LogoutResponsePdu.Parse(logoutHeader).Response);
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
    }

    /// <summary>
    /// RFC 7143 §11.14 / §11.15.1: "closed successfully" means the session is gone, and the end of a
    /// session is an I_T nexus loss (SAM-5 §6.3.4), which releases the RESERVE(6) the nexus held (SPC-2
    /// §5.5.1). So the nexus loss is complete before the Logout Response goes out, and a command another
    /// initiator sends as soon as it has that response does not meet the reservation. The target once
    /// answered first and ended the session afterwards; libiscsi's Sanitize.Reset, whose SANITIZE follows
    /// Sanitize.Reservations' logout at once, then met RESERVATION CONFLICT now and then.
    /// </summary>
    [Fact]
    public async Task LogoutOfTheReservationHolder_EndsTheNexusAndItsReservationBeforeTheLogoutResponse()
    {
        const string HolderName = "iqn.2026-11.org.netscsi:holder";
        var unit = new BlockLogicalUnit(new MemoryBlockDevice(1024 * 1024, 512), new LogicalUnitOptions());
        RawIscsiClient? holder = null;
        var holderLoss = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        // When the unit hears of the holder's nexus loss: has the Logout Response already been sent?
        var spy = new NexusLossSpy(unit, origin =>
        {
            if (origin is not null && origin.InitiatorDevice.Equals(IscsiTransportIdCodec.ForDevice(HolderName)))
            {
                holderLoss.TrySetResult(holder!.HasUnreadData());
            }
        });
        await using var fixture = await TargetFixture.StartAsync(o => o.Targets[0].Luns[0] = new LunMapping(0, spy));
        await using var holderClient = holder = await fixture.ConnectAsync();
        await holder.LoginAsync(TargetFixture.TargetName, HolderName);
        await using var other = await fixture.ConnectAsync();
        await other.LoginAsync(TargetFixture.TargetName, "iqn.2026-11.org.netscsi:other");
        foreach (var client in new[] { holder, other })
        {
            await client.SendAsync(client.BuildScsiCommand(new byte[6], 0, false, false, 0));
            await ReadResultAsync(client, 0); // unit attention of the new nexus
        }

        await holder.SendAsync(holder.BuildScsiCommand([0x16, 0, 0, 0, 0, 0], 0, false, false, 0)); // RESERVE(6)
        Assert.Equal(0, (await ReadResultAsync(holder, 0)).Status);
        await other.SendAsync(other.BuildScsiCommand(new byte[6], 0, false, false, 0));
        Assert.Equal(0x18, (await ReadResultAsync(other, 0)).Status); // RESERVATION CONFLICT while held

        var logout = new byte[Bhs.Length];
        new LogoutRequestPdu { Immediate = true, Reason = LogoutReason.CloseSession, InitiatorTaskTag = 0x77, CmdSN = holder.CmdSN, ExpStatSN = holder.ExpStatSN }.WriteTo(logout);
        await holder.SendAsync(logout);
        bool responseSentBeforeNexusLoss = await holderLoss.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(responseSentBeforeNexusLoss);
        var (logoutHeader, _) = await holder.ReceiveAsync();
        Assert.Equal(LogoutResponse.ClosedSuccessfully, LogoutResponsePdu.Parse(logoutHeader).Response);

        Assert.Null(unit.ReservationHolder);
        await other.SendAsync(other.BuildScsiCommand(new byte[6], 0, false, false, 0));
        Assert.Equal(0, (await ReadResultAsync(other, 0)).Status);
    }

    [Fact]
    public async Task Reinstatement_EndsTheOldNexusAndItsReservation_BeforeTheNewSessionRuns()
    {
        const string Name = "iqn.2026-11.org.netscsi:reinstater";
        var unit = new BlockLogicalUnit(new MemoryBlockDevice(1024 * 1024, 512), new LogicalUnitOptions());
        await using var fixture = await TargetFixture.StartAsync(o => o.Targets[0].Luns[0] = new LunMapping(0, unit));
        await using var first = await fixture.ConnectAsync();
        await first.LoginAsync(TargetFixture.TargetName, Name);
        await first.SendAsync(first.BuildScsiCommand(new byte[6], 0, false, false, 0));
        await ReadResultAsync(first, 0); // unit attention of the new nexus
        await first.SendAsync(first.BuildScsiCommand([0x16, 0, 0, 0, 0, 0], 0, false, false, 0)); // RESERVE(6)
        Assert.Equal(0, (await ReadResultAsync(first, 0)).Status);
        Assert.NotNull(unit.ReservationHolder);

        // The old connection is still open: a login with the same initiator name and ISID reinstates the
        // session (RFC 7143 §6.3.5), which ends the old I_T nexus (SAM-5 §6.3.4) however soon the new
        // session's first command comes - not only once the old connection's close has been read.
        await using var second = await fixture.ConnectAsync();
        await second.LoginAsync(TargetFixture.TargetName, Name);
        Assert.Null(unit.ReservationHolder);
        await second.SendAsync(second.BuildScsiCommand(new byte[6], 0, false, false, 0));
        var result = await ReadResultAsync(second, 0);
        Assert.Equal(0x02, result.Status);
        bool descriptor = (result.Sense[0] & 0x7F) >= 0x72;
        Assert.Equal(0x06, descriptor ? result.Sense[1] & 0x0F : result.Sense[2] & 0x0F);          // UNIT ATTENTION
        Assert.Equal((byte)0x29, descriptor ? result.Sense[2] : result.Sense[12]);                   // POWER ON, RESET, OR
        Assert.Equal((byte)0x07, descriptor ? result.Sense[3] : result.Sense[13]);                   // I_T NEXUS LOSS OCCURRED
    }

    /// <summary>Passes everything to the unit, calling back first when a nexus loss arrives.</summary>
    private sealed class NexusLossSpy(ILogicalUnit inner, Action<ItNexus?> onNexusLoss) : ILogicalUnit
    {
        public ValueTask ExecuteAsync(ScsiTask task, CancellationToken cancellationToken) => inner.ExecuteAsync(task, cancellationToken);

        public void OnEvent(LogicalUnitEvent evt, ItNexus? origin)
        {
            if (evt == LogicalUnitEvent.NexusLoss)
            {
                onNexusLoss(origin);
            }
            inner.OnEvent(evt, origin);
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// RFC 7143 §11.2.1.8: once the initiator has a command's status its tag is free. Reusing it at once,
    /// over and over, must never meet Reject "task in progress" (the target once released the tag only
    /// after its response was flushed, which lost the race to a fast initiator).
    /// </summary>
    [Fact]
    public async Task TagReusedAsSoonAsStatusArrives_IsAccepted()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync();
        await client.SendAsync(client.BuildScsiCommand(new byte[6], 0, false, false, 0));
        await ReadResultAsync(client, 0); // unit attention

        for (int i = 0; i < 5000; i++)
        {
            await client.SendAsync(client.BuildScsiCommand(Read10(0, 1), 512, true, false, 0, itt: 0x42));
            var result = await ReadResultAsync(client, 512);
            Assert.Equal(0, result.Status);
        }
    }

    [Fact]
    public async Task ReadWithLargerExpectedLength_ReportsUnderflowResidual()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync();
        await client.SendAsync(client.BuildScsiCommand(new byte[6], 0, false, false, 0));
        await ReadResultAsync(client, 0); // unit attention

        await client.SendAsync(client.BuildScsiCommand(Read10(0, 1), 1024, true, false, 0));
        var result = await ReadResultAsync(client, 1024);
        Assert.Equal(0, result.Status);
        Assert.Equal(512, result.Data.Length);
        Assert.True(result.Underflow);
        Assert.Equal(512u, result.Residual);
    }

    [Fact]
    public async Task ReadBeyondEndOfLun_ReturnsCheckConditionWithLbaOutOfRange()
    {
        await using var fixture = await TargetFixture.StartAsync(lunBytes: 1024 * 1024);
        await using var client = await fixture.LoginAsync();
        await client.SendAsync(client.BuildScsiCommand(new byte[6], 0, false, false, 0));
        await ReadResultAsync(client, 0);

        await client.SendAsync(client.BuildScsiCommand(Read10(2048, 1), 512, true, false, 0));
        var result = await ReadResultAsync(client, 512);
        Assert.Equal(0x02, result.Status);
        // Fixed or descriptor format: sense key ILLEGAL REQUEST, ASC 21h.
        bool descriptor = (result.Sense[0] & 0x7F) >= 0x72;
        Assert.Equal(0x05, descriptor ? result.Sense[1] & 0x0F : result.Sense[2] & 0x0F);
        Assert.Equal(0x21, descriptor ? result.Sense[2] : result.Sense[12]);
    }

    [Fact]
    public async Task NopOut_IsAnsweredWithEchoedData()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync();
        var ping = new byte[Bhs.Length];
        var data = "hello target"u8.ToArray();
        new NopOutPdu { Immediate = true, InitiatorTaskTag = 0x55, TargetTransferTag = Bhs.ReservedTag, CmdSN = client.CmdSN, ExpStatSN = client.ExpStatSN, DataSegmentLength = data.Length }.WriteTo(ping);
        await client.SendAsync(ping, data);
        var (header, payload) = await client.ReceiveAsync();
        Assert.Equal(IscsiOpcode.NopIn, Bhs.GetOpcode(header));
        Assert.Equal(0x55u, Bhs.GetInitiatorTaskTag(header));
        Assert.Equal(data, payload);
    }

    [Fact]
    public async Task LargeWrite_WithMaxOutstandingR2T4_SolicitsFourBurstsAtOnce()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync("InitialR2T=Yes", "ImmediateData=No", "MaxBurstLength=65536", "FirstBurstLength=65536", "MaxOutstandingR2T=4");
        await client.SendAsync(client.BuildScsiCommand(new byte[6], 0, false, false, 0));
        await ReadResultAsync(client, 0); // unit attention

        var payload = new byte[1024 * 1024];
        new Random(11).NextBytes(payload);
        var header = client.BuildScsiCommand(Write10(0, 2048), (uint)payload.Length, read: false, write: true, immediateLength: 0);
        uint itt = Bhs.GetInitiatorTaskTag(header);
        await client.SendAsync(header);

        // Four R2Ts arrive before any data is sent, each for one MaxBurstLength at its own offset.
        var r2ts = new List<ReadyToTransferPdu>();
        for (int i = 0; i < 4; i++)
        {
            var (pdu, _) = await client.ReceiveAsync();
            r2ts.Add(ReadyToTransferPdu.Parse(pdu));
        }
        Assert.Equal([0u, 65536u, 131072u, 196608u], r2ts.Select(r => r.BufferOffset));
        Assert.Equal([0u, 1u, 2u, 3u], r2ts.Select(r => r.R2TSN));
        Assert.All(r2ts, r => Assert.Equal(65536u, r.DesiredDataTransferLength));

        // Answer every R2T (and the ones that follow) until the write completes.
        var pending = new Queue<ReadyToTransferPdu>(r2ts);
        while (true)
        {
            if (pending.Count > 0)
            {
                var r2t = pending.Dequeue();
                for (int offset = 0; offset < r2t.DesiredDataTransferLength; offset += 8192)
                {
                    var dataOut = new byte[Bhs.Length];
                    new DataOutPdu
                    {
                        Final = offset + 8192 == r2t.DesiredDataTransferLength,
                        InitiatorTaskTag = itt,
                        TargetTransferTag = r2t.TargetTransferTag,
                        DataSN = (uint)(offset / 8192),
                        BufferOffset = r2t.BufferOffset + (uint)offset,
                        DataSegmentLength = 8192,
                    }.WriteTo(dataOut);
                    await client.SendAsync(dataOut, payload.AsMemory((int)r2t.BufferOffset + offset, 8192));
                }
                continue;
            }
            var (next, _) = await client.ReceiveAsync();
            if (Bhs.GetOpcode(next) == IscsiOpcode.ReadyToTransfer)
            {
                pending.Enqueue(ReadyToTransferPdu.Parse(next));
                continue;
            }
            Assert.Equal(IscsiOpcode.ScsiResponse, Bhs.GetOpcode(next));
            Assert.Equal(0, ScsiResponsePdu.Parse(next).Status);
            client.ExpStatSN = ScsiResponsePdu.Parse(next).StatSN + 1;
            break;
        }

        await client.SendAsync(client.BuildScsiCommand(Read10(0, 2048), (uint)payload.Length, true, false, 0));
        var read = await ReadResultAsync(client, payload.Length);
        Assert.Equal(payload, read.Data);
    }
}
