using NetScsi.Iscsi.Pdus;

namespace NetScsi.Functional.Tests.Target;

/// <summary>
/// The per-connection output limit (<see cref="NetScsi.Iscsi.Configuration.IscsiTargetLimits.OutputStallTimeout"/>):
/// a peer that sends commands and never reads what comes back cannot hold the target's buffers forever.
/// </summary>
public sealed class OutputLimitTests
{
    [Fact]
    public async Task PeerThatNeverReads_IsDroppedAfterTheStallTimeout_AndOtherSessionsGoOn()
    {
        await using var fixture = await TargetFixture.StartAsync(o =>
        {
            o.Limits.OutputStallTimeout = TimeSpan.FromSeconds(1);
            o.NopInInterval = TimeSpan.FromMilliseconds(200);
        });
        await using var healthy = await fixture.LoginAsync();
        // Another initiator name, so this login does not reinstate the first session (same ISID).
        await using var stalled = await fixture.ConnectAsync();
        await stalled.LoginAsync(TargetFixture.TargetName, "iqn.2026-11.org.netscsi:never-reads");

        // 32 reads of 1 MiB: far more than the in-memory pipe holds (4 MiB) once the peer stops reading.
        for (int i = 0; i < 32; i++)
        {
            await stalled.SendAsync(stalled.BuildScsiCommand(TestCdbs.Read10(0, 2048), 2048 * 512, read: true, write: false, 0));
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (fixture.Server.SessionCount > 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            // The healthy session keeps being served (and answered) the whole time.
            await PingAsync(healthy);
        }
        Assert.Equal(1, fixture.Server.SessionCount);
        await PingAsync(healthy);
    }

    [Fact]
    public async Task PeerThatReadsSlowly_ForLongerThanTheStallTimeout_IsNotDropped()
    {
        // The limit is on output that makes no progress, not on output that is slow: a peer that reads 16 MiB over
        // more than two stall timeouts, steadily (about 6 MiB/s), keeps its connection and gets every status. Progress
        // is seen a send at a time, so the peer must drain one send's worth within the timeout: here the in-memory
        // pipe's resume window, 2 MiB, in about 0.3 s (docs/reliability.md, Limits).
        var stallTimeout = TimeSpan.FromSeconds(1);
        await using var fixture = await TargetFixture.StartAsync(o => o.Limits.OutputStallTimeout = stallTimeout);
        await using var client = await fixture.LoginAsync();
        for (int i = 0; i < 16; i++)
        {
            await client.SendAsync(client.BuildScsiCommand(TestCdbs.Read10(0, 2048), 2048 * 512, read: true, write: false, 0));
        }
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        int statuses = 0;
        int pdus = 0;
        while (statuses < 16)
        {
            var (header, _) = await client.ReceiveAsync(TimeSpan.FromSeconds(10));
            if (Bhs.GetOpcode(header) == IscsiOpcode.DataIn && DataInPdu.Parse(header).HasStatus || Bhs.GetOpcode(header) == IscsiOpcode.ScsiResponse)
            {
                statuses++;
            }
            // 16 MiB arrive in Data-In PDUs of 8 KiB: 2048 of them, 10 ms of pause after every 8 (at least 2.6 s).
            if (++pdus % 8 == 0)
            {
                await Task.Delay(10);
            }
        }
        // The premise: the read really lasted longer than the stall timeout (twice), with the pipe full.
        Assert.True(stopwatch.Elapsed > 2 * stallTimeout, $"the read took only {stopwatch.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(1, fixture.Server.SessionCount);
        await PingAsync(client);
    }

    private static async Task PingAsync(RawIscsiClient client)
    {
        uint itt = client.NextItt++;
        var ping = new byte[Bhs.Length];
        new NopOutPdu { Immediate = true, InitiatorTaskTag = itt, TargetTransferTag = Bhs.ReservedTag, CmdSN = client.CmdSN, ExpStatSN = client.ExpStatSN }.WriteTo(ping);
        await client.SendAsync(ping);
        while (true)
        {
            var (reply, _) = await client.ReceiveAsync(TimeSpan.FromSeconds(5));
            if (Bhs.GetOpcode(reply) == IscsiOpcode.NopIn && Bhs.GetInitiatorTaskTag(reply) == itt)
            {
                return;
            }
        }
    }
}
