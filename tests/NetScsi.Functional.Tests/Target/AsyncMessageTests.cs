using System.Diagnostics;
using NetScsi.Functional.Tests.Support;
using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Pdus;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;

namespace NetScsi.Functional.Tests.Target;

/// <summary>
/// Asynchronous messages (RFC 7143 §11.9.1), both sides: a stopping target asks for logouts and waits a bounded time;
/// the initiator logs out when asked, and after a logout request or an announced drop reconnects only after Time2Wait.
/// </summary>
public sealed class AsyncMessageTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    private static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static async Task<TimeSpan> WaitForConnectionsAsync(IscsiFaultRelay relay, int count)
    {
        var watch = Stopwatch.StartNew();
        while (relay.AcceptedConnections < count)
        {
            Assert.True(watch.Elapsed < s_timeout, "the initiator did not reconnect");
            await Task.Delay(20);
        }
        return watch.Elapsed;
    }

    [Fact]
    public async Task Stop_AsksTheInitiatorToLogOut_AndWaitsOnlyUntilItHas()
    {
        await using var relayed = await RelayedTarget.StartAsync([], o => o.LogoutGracePeriod = TimeSpan.FromSeconds(20));
        await using IscsiSession session = await relayed.ConnectAsync();
        await session.TestUnitReadyAsync(0).AsTask().WaitAsync(s_timeout);
        await session.WriteAsync(0, 0, Pattern(4096, 1)).AsTask().WaitAsync(s_timeout);

        var watch = Stopwatch.StartNew();
        await relayed.Server.StopAsync(new CancellationTokenSource(s_timeout).Token);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"the stop took {watch.Elapsed}: it waited out the grace period");
        Assert.Equal(1, relayed.Relay.Count(0, RelayDirection.ToInitiator, IscsiOpcode.AsyncMessage));
        Assert.Equal(1, relayed.Relay.Count(0, RelayDirection.ToTarget, IscsiOpcode.LogoutRequest));
    }

    [Fact]
    public async Task Stop_WithAPeerThatIgnoresTheRequest_WaitsTheGraceThenAnnouncesTheDrop()
    {
        await using var fixture = await TargetFixture.StartAsync(o => o.LogoutGracePeriod = TimeSpan.FromSeconds(1));
        await using var client = await fixture.LoginAsync();
        var watch = Stopwatch.StartNew();
        Task stop = fixture.Server.StopAsync(new CancellationTokenSource(s_timeout).Token);

        var (first, _) = await client.ReceiveAsync();
        var request = AsyncMessagePdu.Parse(first);
        Assert.Equal(IscsiOpcode.AsyncMessage, Bhs.GetOpcode(first));
        Assert.Equal(AsyncEvent.RequestLogout, request.Event);
        Assert.Equal(1, request.Parameter3);                  // seconds to log out in
        var (second, _) = await client.ReceiveAsync();
        var drop = AsyncMessagePdu.Parse(second);
        Assert.Equal(AsyncEvent.DroppingConnection, drop.Event);
        Assert.Equal(2, drop.Parameter2);                     // Time2Wait: the negotiated DefaultTime2Wait
        Assert.Equal(request.StatSN + 1, drop.StatSN);
        Assert.True(await client.WaitForCloseAsync(s_timeout));
        await stop.WaitAsync(s_timeout);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.9), $"the stop took only {watch.Elapsed}");
    }

    [Fact]
    public async Task Stop_WithoutAGracePeriod_ClosesWithoutAsking()
    {
        await using var fixture = await TargetFixture.StartAsync(o => o.LogoutGracePeriod = TimeSpan.Zero);
        await using var client = await fixture.LoginAsync();
        await fixture.Server.StopAsync(new CancellationTokenSource(s_timeout).Token);
        await Assert.ThrowsAsync<EndOfStreamException>(() => client.ReceiveAsync(s_timeout)); // no AsyncMessage first
    }

    [Fact]
    public async Task LogoutRequest_TheInitiatorLogsOut_ThenReturnsAfterTime2Wait()
    {
        await using var relayed = await RelayedTarget.StartAsync([]);
        await using IscsiSession session = await relayed.ConnectAsync();
        await session.TestUnitReadyAsync(0).AsTask().WaitAsync(s_timeout);
        byte[] data = Pattern(65536, 2);
        await session.WriteAsync(0, 16, data).AsTask().WaitAsync(s_timeout);
        int time2Wait = session.Parameters.DefaultTime2Wait;
        Assert.Equal(2, time2Wait);

        Assert.True(await relayed.Server.RequestLogoutAsync(session.Tsih, 5));
        TimeSpan away = await WaitForConnectionsAsync(relayed.Relay, 2);

        Assert.Equal(1, relayed.Relay.Count(0, RelayDirection.ToTarget, IscsiOpcode.LogoutRequest));
        Assert.Equal(1, relayed.Relay.Count(0, RelayDirection.ToInitiator, IscsiOpcode.LogoutResponse));
        Assert.True(away >= TimeSpan.FromSeconds(time2Wait - 0.2), $"reconnected after {away}, before Time2Wait");
        var back = new byte[data.Length];
        await session.ReadAsync(0, 16, 128, back).AsTask().WaitAsync(s_timeout);
        Assert.Equal(data, back);
        Assert.Equal(1, session.RecoveryCount);
    }

    [Fact]
    public async Task LogoutRequest_AWriteIssuedWhileTheTargetDrains_WaitsForTheReopenedSession_InsteadOfCrossingTheLogout()
    {
        // §11.9.1: once asked to log out, the initiator issues no new command on that connection (a target may reject
        // one "waiting for logout", and ours does). A write issued while the target drains a slow one before answering
        // the Logout waits, and goes on the session re-opened after Time2Wait; nothing fails.
        var device = new DelayBlockDevice(new MemoryBlockDevice(16L * 1024 * 1024, 512));
        await using var relayed = await RelayedTarget.StartAsync([], o =>
        {
            o.Targets[0].Luns.Clear();
            o.Targets[0].Luns.Add(new LunMapping(0, new BlockLogicalUnit(device, new LogicalUnitOptions())));
        });
        await using IscsiSession session = await relayed.ConnectAsync();
        await session.TestUnitReadyAsync(0).AsTask().WaitAsync(s_timeout);
        device.WriteDelay = TimeSpan.FromMilliseconds(600);
        byte[] slow = Pattern(4096, 4);
        Task slowWrite = session.WriteAsync(0, 0, slow).AsTask();
        await Task.Delay(100);

        Assert.True(await relayed.Server.RequestLogoutAsync(session.Tsih, 5));
        var watch = Stopwatch.StartNew();
        while (relayed.Relay.Count(0, RelayDirection.ToTarget, IscsiOpcode.LogoutRequest) == 0)
        {
            Assert.True(watch.Elapsed < s_timeout, "the initiator did not log out");
            await Task.Delay(5);
        }

        device.WriteDelay = TimeSpan.Zero;
        byte[] late = Pattern(4096, 5);
        await session.WriteAsync(0, 64, late).AsTask().WaitAsync(s_timeout);
        await slowWrite.WaitAsync(s_timeout);

        Assert.Equal(0, relayed.Relay.Count(0, RelayDirection.ToInitiator, IscsiOpcode.Reject));
        Assert.True(relayed.Relay.Count(1, RelayDirection.ToTarget, IscsiOpcode.ScsiCommand) >= 1, "the late write went on the new connection");
        Assert.Equal(1, session.RecoveryCount);
        var back = new byte[4096];
        await session.ReadAsync(0, 0, 8, back).AsTask().WaitAsync(s_timeout);
        Assert.Equal(slow, back);
        await session.ReadAsync(0, 64, 8, back).AsTask().WaitAsync(s_timeout);
        Assert.Equal(late, back);
    }

    [Fact]
    public async Task DroppedSession_TheInitiatorWaitsTime2Wait_ThenCarriesOn()
    {
        await using var relayed = await RelayedTarget.StartAsync([]);
        await using IscsiSession session = await relayed.ConnectAsync();
        await session.TestUnitReadyAsync(0).AsTask().WaitAsync(s_timeout);
        byte[] data = Pattern(65536, 3);
        await session.WriteAsync(0, 16, data).AsTask().WaitAsync(s_timeout);

        Assert.True(relayed.Server.DropSession(session.Tsih));
        TimeSpan away = await WaitForConnectionsAsync(relayed.Relay, 2);

        Assert.Equal(1, relayed.Relay.Count(0, RelayDirection.ToInitiator, IscsiOpcode.AsyncMessage)); // AsyncEvent 3
        Assert.True(away >= TimeSpan.FromSeconds(1.8), $"reconnected after {away}, before Time2Wait");
        var back = new byte[data.Length];
        await session.ReadAsync(0, 16, 128, back).AsTask().WaitAsync(s_timeout);
        Assert.Equal(data, back);
        Assert.Equal(1, session.RecoveryCount);
    }
}
