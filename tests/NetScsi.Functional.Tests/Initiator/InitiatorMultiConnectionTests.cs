using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Initiator;
using NetScsi.Scsi.Storage;

namespace NetScsi.Functional.Tests.Initiator;

/// <summary>MC/S in the initiator (RFC 7143 §4.2.2, §6.3.1, §7) against NetScsi's target, which takes up to 4 connections.</summary>
public sealed class InitiatorMultiConnectionTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    private static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static long[] Delta(long[] after, long[] before)
    {
        var delta = new long[after.Length];
        for (int i = 0; i < after.Length; i++)
        {
            delta[i] = after[i] - (i < before.Length ? before[i] : 0);
        }

        return delta;
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + s_timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(20);
        }
    }

    /// <summary>Writers of 4 KiB to 1 MiB, each writing and reading back its own region several times; every byte is compared.</summary>
    private static async Task<int> VerifiedWorkloadAsync(IscsiSession session, int writers, int rounds, Func<int, int, Task>? between = null)
    {
        int completions = 0;
        async Task WriterAsync(int i)
        {
            ulong lba = (ulong)i * 4096;
            for (int round = 0; round < rounds; round++)
            {
                byte[] data = Pattern(i % 4 == 0 ? 1024 * 1024 : (i % 4 == 1 ? 4096 : 64 * 1024), (i * 100) + round);
                await session.WriteAsync(0, lba, data);
                var back = new byte[data.Length];
                await session.ReadAsync(0, lba, (uint)(data.Length / 512), back);
                Assert.True(data.AsSpan().SequenceEqual(back), $"writer {i} round {round} read back different data");
                Interlocked.Increment(ref completions);
                if (between is not null)
                {
                    await between(i, round);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, writers).Select(WriterAsync)).WaitAsync(s_timeout);
        return completions;
    }

    [Fact]
    public async Task Connections4_TargetAllows4_SessionRunsFourConnectionsAndTheTargetSeesThemInOneSession()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync(o => o.Connections = 4);
        Assert.Equal(4, session.Parameters.MaxConnections);
        Assert.Equal(4, session.ConnectionCount);
        var info = Assert.Single(target.Server.GetSessions());
        Assert.Equal(session.Tsih, info.Tsih);
        Assert.Equal(4, info.Connections);
    }

    [Fact]
    public async Task Connections4_LoginRequests_LeadingHasTsih0AndCid0_OthersTheSessionsTsihNewCidsAndNoLeadingOnlyKey()
    {
        await using var target = await InitiatorTarget.StartAsync((_, definition) => definition.Chap = new ChapCredentials("mcs-user", "mcs-secret-1234"));
        var recorder = new LoginRecordingConnector(target.Mover);
        await using var session = await target.ConnectAsync(o =>
        {
            o.Connector = recorder;
            o.Connections = 4;
            o.ChapUser = "mcs-user";
            o.ChapSecret = "mcs-secret-1234";
        });
        Assert.Equal(4, session.ConnectionCount);
        Assert.Equal(LoginAuthentication.Chap, session.Authentication);

        var byCid = recorder.Requests.GroupBy(r => r.Cid).OrderBy(g => g.Key).ToList();
        Assert.Equal([0, 1, 2, 3], byCid.Select(g => (int)g.Key));
        Assert.All(recorder.Requests, r => Assert.Equal(session.Isid, r.Isid));
        Assert.All(byCid[0], r => Assert.Equal(0, r.Tsih));
        string leading = string.Concat(byCid[0].Select(r => r.Keys));
        Assert.Contains("MaxConnections=4", leading, StringComparison.Ordinal);
        Assert.Contains("SessionType=Normal", leading, StringComparison.Ordinal);
        foreach (var connection in byCid.Skip(1))
        {
            Assert.All(connection, r => Assert.Equal(session.Tsih, r.Tsih));
            string keys = string.Concat(connection.Select(r => r.Keys));
            Assert.Contains("InitiatorName=", keys, StringComparison.Ordinal);
            Assert.Contains("TargetName=" + InitiatorTarget.TargetName, keys, StringComparison.Ordinal);
            Assert.Contains("CHAP_R=", keys, StringComparison.Ordinal);
            Assert.Contains("HeaderDigest=", keys, StringComparison.Ordinal);
            Assert.Contains("MaxRecvDataSegmentLength=", keys, StringComparison.Ordinal);
            foreach (string leadingOnly in new[] { "SessionType=", "MaxConnections=", "InitialR2T=", "ImmediateData=", "MaxBurstLength=", "FirstBurstLength=",
                "MaxOutstandingR2T=", "DataPDUInOrder=", "DataSequenceInOrder=", "ErrorRecoveryLevel=", "DefaultTime2Wait=", "DefaultTime2Retain=" })
            {
                Assert.DoesNotContain(leadingOnly, keys, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Connections4_VerifiedWriteReadWorkload_EveryByteMatchesAndEveryConnectionCarriesCommands()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync(o => o.Connections = 4);
        Assert.Equal(4, session.ConnectionCount);
        long[] before = session.CommandsIssuedPerConnection();

        Assert.Equal(16 * 6, await VerifiedWorkloadAsync(session, writers: 16, rounds: 6));

        long[] issued = Delta(session.CommandsIssuedPerConnection(), before);
        Assert.Equal(4, issued.Length);
        long total = issued.Sum();
        Assert.True(total >= 16 * 6 * 2, $"issued {string.Join(", ", issued)}");
        foreach (long count in issued)
        {
            // Spread: every connection carries a share (at least a twentieth of all commands; exact balance depends on
            // which loops run when, on a loaded machine).
            Assert.True(count >= total / 20, $"commands per connection {string.Join(", ", issued)}");
        }

        Assert.Equal(0, session.RecoveryCount);
        Assert.Equal(0, session.OutstandingCommands);
    }

    [Fact]
    public async Task Connections4_SlowCommandOnOneConnection_LaterCommandsOnTheOthersAnswerFirst()
    {
        DelayBlockDevice? slow = null;
        await using var target = await InitiatorTarget.StartAsync(wrap: d => slow = new DelayBlockDevice(d));
        await using var session = await target.ConnectAsync(o => o.Connections = 4);
        Assert.Equal(4, session.ConnectionCount);
        await session.ReadCapacityAsync(0).WaitAsync(s_timeout);
        long[] before = session.CommandsIssuedPerConnection();

        // With nothing outstanding the first command goes to the first connection, the next three to the others.
        slow!.WriteDelay = TimeSpan.FromMilliseconds(600);
        byte[] data = Pattern(64 * 1024, 7);
        var order = new List<string>();
        Task write = session.WriteAsync(0, 0, data).AsTask().ContinueWith(_ => { lock (order) { order.Add("write"); } }, TaskScheduler.Default);
        var reads = Enumerable.Range(0, 3).Select(i => session.ReadAsync(0, (ulong)(1000 + (i * 8)), 8, new byte[4096]).AsTask()
            .ContinueWith(_ => { lock (order) { order.Add("read"); } }, TaskScheduler.Default)).ToArray();
        await Task.WhenAll(reads).WaitAsync(s_timeout);
        await write.WaitAsync(s_timeout);
        slow.WriteDelay = TimeSpan.Zero;

        Assert.Equal(["read", "read", "read", "write"], order);
        Assert.Equal([1L, 1L, 1L, 1L], Delta(session.CommandsIssuedPerConnection(), before));
        var back = new byte[data.Length];
        await session.ReadAsync(0, 0, (uint)(data.Length / 512), back).AsTask().WaitAsync(s_timeout);
        Assert.Equal(data, back);
    }

    [Fact]
    public async Task Connections4_OneConnectionLostMidWorkload_SessionIsReinstatedWithFourAndEveryCommandCompletesOnce()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync(o =>
        {
            o.Connections = 4;
            o.ReplacementTimeout = TimeSpan.FromSeconds(30);
        });
        Assert.Equal(4, session.ConnectionCount);
        int dropped = 0;
        Task DropOnce(int writer, int round)
        {
            if (writer == 3 && round == 1 && Interlocked.Exchange(ref dropped, 1) == 0)
            {
                Assert.True(session.TerminateConnectionForTest(2));
            }

            return Task.CompletedTask;
        }

        Assert.Equal(12 * 4, await VerifiedWorkloadAsync(session, writers: 12, rounds: 4, DropOnce));
        Assert.Equal(1, dropped);
        Assert.Equal(1, session.RecoveryCount);
        await WaitForAsync(() => session.State == IscsiSessionState.Running && session.ConnectionCount == 4, "four connections again");
        Assert.Equal(0, session.OutstandingCommands);

        // The re-instated session works on all four.
        long[] before = session.CommandsIssuedPerConnection();
        Assert.Equal(8 * 2, await VerifiedWorkloadAsync(session, writers: 8, rounds: 2));
        Assert.All(Delta(session.CommandsIssuedPerConnection(), before), count => Assert.True(count > 0));
        var info = Assert.Single(target.Server.GetSessions());
        Assert.Equal(4, info.Connections);
    }

    [Fact]
    public async Task Connections4_TargetDropsAllConnectionsMidWorkload_SessionRecoversAndEveryCommandCompletesOnce()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync(o =>
        {
            o.Connections = 4;
            o.ReplacementTimeout = TimeSpan.FromSeconds(30);
        });
        int dropped = 0;
        Task DropOnce(int writer, int round)
        {
            // Mid-workload: after some commands finished, while the other writers' are on the wire.
            if (writer == 5 && round == 1 && Interlocked.Exchange(ref dropped, 1) == 0)
            {
                target.Server.DropTargetConnections(target.Target);
            }

            return Task.CompletedTask;
        }

        Assert.Equal(16 * 4, await VerifiedWorkloadAsync(session, writers: 16, rounds: 4, DropOnce));
        Assert.Equal(1, dropped);
        Assert.True(session.RecoveryCount >= 1);
        await WaitForAsync(() => session.State == IscsiSessionState.Running && session.ConnectionCount == 4, "four connections again");
        Assert.Equal(0, session.OutstandingCommands);
    }

    [Fact]
    public async Task Connections4_TargetAsksForLogout_SessionLogsOutAndComesBackWithFourConnections()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync(o =>
        {
            o.Connections = 4;
            o.DefaultTime2Wait = 0;
            o.ReplacementTimeout = TimeSpan.FromSeconds(30);
        });
        ushort first = session.Tsih;
        Task workload = VerifiedWorkloadAsync(session, writers: 8, rounds: 4);
        await Task.Delay(30);
        Assert.True(await target.Server.RequestLogoutAsync(first, 5));
        await workload;
        await WaitForAsync(() => session.RecoveryCount >= 1 && session.State == IscsiSessionState.Running && session.ConnectionCount == 4, "the re-opened session");
        Assert.NotEqual(first, session.Tsih);
        Assert.Equal(4, Assert.Single(target.Server.GetSessions()).Connections);
    }

    [Fact]
    public async Task LogoutConnection_ClosesThatConnectionOnly_AndTheSessionGoesOnOverTheOthers()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync(o => o.Connections = 4);
        Assert.Equal(4, session.ConnectionCount);
        Task workload = VerifiedWorkloadAsync(session, writers: 8, rounds: 3);
        await session.LogoutConnectionAsync(2).WaitAsync(s_timeout);
        Assert.Equal(3, session.ConnectionCount);
        await workload;

        // The leading connection may go too; the session stays the same (same TSIH, no recovery).
        ushort tsih = session.Tsih;
        await session.LogoutConnectionAsync(0).WaitAsync(s_timeout);
        Assert.Equal(2, session.ConnectionCount);
        await WaitForAsync(() => target.Server.GetSessions() is [{ Connections: 2 }], "the target to drop the two connections");
        long[] before = session.CommandsIssuedPerConnection();
        Assert.Equal(4 * 2, await VerifiedWorkloadAsync(session, writers: 4, rounds: 2));
        Assert.All(Delta(session.CommandsIssuedPerConnection(), before), count => Assert.True(count > 0));
        Assert.Equal(tsih, session.Tsih);
        Assert.Equal(0, session.RecoveryCount);
        Assert.Equal(IscsiSessionState.Running, session.State);
    }

    [Fact]
    public async Task LogoutConnection_OfTheOnlyConnection_IsRefused()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => session.LogoutConnectionAsync(0));
        await Assert.ThrowsAsync<InvalidOperationException>(() => session.LogoutConnectionAsync(5));
        Assert.Equal(IscsiSessionState.Running, session.State);
    }

    [Fact]
    public async Task Connections4_TargetMaxConnections1_SessionRunsOnOneConnectionAndVerifiedIoWorks()
    {
        await using var target = await InitiatorTarget.StartAsync((options, _) => options.MaxConnections = 1);
        await using var session = await target.ConnectAsync(o => o.Connections = 4);
        Assert.Equal(1, session.Parameters.MaxConnections);
        Assert.Equal(1, session.ConnectionCount);
        Assert.Equal(4 * 3, await VerifiedWorkloadAsync(session, writers: 4, rounds: 3));
        Assert.Single(session.CommandsIssuedPerConnection());
    }

    [Fact]
    public async Task Connections2_TargetAllows4_OpensOnlyTheTwoAsked()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync(o => o.Connections = 2);
        Assert.Equal(2, session.Parameters.MaxConnections);
        Assert.Equal(2, session.ConnectionCount);
    }

    [Fact]
    public async Task Connections1_Default_OneConnection()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync();
        Assert.Equal(1, session.Parameters.MaxConnections);
        Assert.Equal(1, session.ConnectionCount);
        var capacity = await session.ReadCapacityAsync(0).WaitAsync(s_timeout);
        Assert.Equal(512, capacity.BlockSize);
    }

    [Fact]
    public async Task Connections4_Logout_EndsTheSessionAndEveryConnection()
    {
        await using var target = await InitiatorTarget.StartAsync();
        var session = await target.ConnectAsync(o => o.Connections = 4);
        Assert.Equal(4, session.ConnectionCount);
        await session.WriteAsync(0, 0, Pattern(4096, 3)).AsTask().WaitAsync(s_timeout);
        await session.LogoutAsync().WaitAsync(s_timeout);
        Assert.Equal(IscsiSessionState.Closed, session.State);
        Assert.Equal(0, session.ConnectionCount);
        await WaitForAsync(() => target.Server.GetSessions().Count == 0, "the target to end the session");
        await session.DisposeAsync();
    }
}
