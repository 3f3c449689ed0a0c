using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Target;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using NetScsi.Transport.Tcp;
using Xunit.Abstractions;

namespace NetScsi.Functional.Tests.Adversarial;

/// <summary>
/// Many concurrent sessions over loopback TCP, each reading once a second, then a fresh session: the default limits
/// leave room for them and nobody is starved. CI: 200 sessions for 5 s; long mode: 1000 sessions for 30 s.
/// </summary>
public sealed class ManySessionsLoadTests(ITestOutputHelper output)
{
    private const string TargetName = "iqn.2026-11.org.netscsi:load";

    [Fact]
    public async Task ConcurrentSessionsReadingOnceASecond_AllSucceed_ThenAFreshSessionWorks()
    {
        int sessions = AdversarialSettings.Long ? 1000 : 200;
        var duration = TimeSpan.FromSeconds(AdversarialSettings.Long ? 30 : 5);
        var options = new IscsiTargetOptions();
        options.Portals.Add(new TcpPortal(new IPEndPoint(IPAddress.Loopback, 0)));
        options.Transports.Add(new TcpTransport());
        var target = new TargetDefinition { Name = TargetName };
        target.Luns.Add(new LunMapping(0, new BlockLogicalUnit(new MemoryBlockDevice(8L << 20, 512), new LogicalUnitOptions())));
        options.Targets.Add(target);
        await using var server = new IscsiTargetServer(options, NullLoggerFactory.Instance);
        await server.StartAsync();
        int port = ((TcpPortal)server.ListeningPortals[0]).Port;

        var stopwatch = Stopwatch.StartNew();
        var connected = new List<IscsiSession>(sessions);
        using var gate = new SemaphoreSlim(32);
        var connecting = new List<Task<IscsiSession>>();
        for (int i = 0; i < sessions; i++)
        {
            int n = i;
            connecting.Add(Task.Run(async () =>
            {
                await gate.WaitAsync();
                try
                {
                    return await ConnectAsync(port, (ulong)n + 1);
                }
                finally
                {
                    gate.Release();
                }
            }));
        }
        connected.AddRange(await Task.WhenAll(connecting));
        var loggedIn = stopwatch.Elapsed;
        Assert.Equal(sessions, server.SessionCount);

        int reads = 0;
        int failures = 0;
        long slowestTicks = 0;
        var end = DateTime.UtcNow + duration;
        var readers = connected.Select(session => Task.Run(async () =>
        {
            var buffer = new byte[4096];
            var cdb = TestCdbs.Read10(0, 8);
            while (DateTime.UtcNow < end)
            {
                long start = Stopwatch.GetTimestamp();
                var result = await session.ExecuteAsync(0, cdb, buffer, ReadOnlyMemory<byte>.Empty);
                long elapsed = Stopwatch.GetTimestamp() - start;
                InterlockedMax(ref slowestTicks, elapsed);
                Interlocked.Increment(ref reads);
                if (!result.IsGood)
                {
                    Interlocked.Increment(ref failures);
                }
                await Task.Delay(1000);
            }
        })).ToArray();
        await Task.WhenAll(readers);

        await using (var fresh = await ConnectAsync(port, isid: 0xFFFF))
        {
            var result = await fresh.ExecuteAsync(0, TestCdbs.Read10(0, 8), new byte[4096], ReadOnlyMemory<byte>.Empty);
            Assert.True(result.IsGood);
        }
        foreach (var session in connected)
        {
            await session.DisposeAsync();
        }
        output.WriteLine($"{sessions} sessions logged in in {loggedIn.TotalSeconds:F1} s; {reads} reads over {duration.TotalSeconds} s, " +
            $"{failures} failed, slowest {TimeSpan.FromTicks(slowestTicks * TimeSpan.TicksPerSecond / Stopwatch.Frequency).TotalMilliseconds:F0} ms; fresh session OK");
        Assert.Equal(0, failures);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private static async Task<IscsiSession> ConnectAsync(int port, ulong isid)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var session = await IscsiSession.ConnectAsync(
            new IscsiSessionOptions
            {
                Portal = new TcpPortal("127.0.0.1", port),
                Connector = new TcpTransport(),
                TargetName = TargetName,
                InitiatorName = "iqn.2026-11.org.netscsi:load-initiator",
                Isid = 0x00023d000000UL | isid,
                LoginTimeout = TimeSpan.FromSeconds(30),
            },
            cts.Token);
        // A new I_T nexus starts with a unit attention (SAM-5 §5.14): TEST UNIT READY takes it.
        await session.ExecuteAsync(0, new byte[6], Memory<byte>.Empty, ReadOnlyMemory<byte>.Empty, cts.Token);
        return session;
    }
}
