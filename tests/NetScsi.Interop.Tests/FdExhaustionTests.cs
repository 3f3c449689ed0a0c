using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NetScsi.Iscsi.Initiator;
using NetScsi.Scsi.Commands;
using NetScsi.Transport.Tcp;
using Xunit.Abstractions;

namespace NetScsi.Interop.Tests;

/// <summary>
/// File descriptor exhaustion against the real <c>netscsi</c> process with its limit lowered (<c>prlimit --nofile=400</c>):
/// idle TCP connections that never log in use up the descriptors; the target must not crash or spin (below 10% of a
/// core while it refuses), an established session keeps its I/O, and new logins succeed once the clients leave.
/// CI: one run; <c>NETSCSI_ADVERSARIAL=long</c>: ten.
/// </summary>
public sealed class FdExhaustionTests(ITestOutputHelper output) : IDisposable
{
    private const string Iqn = "iqn.2026-11.org.netscsi:fd-exhaustion";
    private const int NoFile = 400;
    private const int IdleConnections = 700;

    private readonly string _work = Directory.CreateTempSubdirectory("netscsi-fd-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static bool Long => string.Equals(Environment.GetEnvironmentVariable("NETSCSI_ADVERSARIAL"), "long", StringComparison.OrdinalIgnoreCase);

    [Fact]
    public async Task DescriptorsExhaustedByIdleConnections_TargetSurvivesShedsAndRecovers()
    {
        if (!File.Exists("/usr/bin/prlimit"))
        {
            output.WriteLine("prlimit (util-linux) is missing: skipped");
            return;
        }
        int runs = Long ? 10 : 1;
        for (int run = 0; run < runs; run++)
        {
            await RunOnceAsync(run);
        }
    }

    private async Task RunOnceAsync(int run)
    {
        var clock = Stopwatch.StartNew();
        string[] serve = ["--listen", "127.0.0.1:0", "--iqn", Iqn, "--lun", "memory:16M", "--log-level", "warning"];
        await using var target = await NetScsiTargetProcess.StartAsync(_work, serve);
        var prlimit = Process.Start("/usr/bin/prlimit", ["--pid", target.ProcessId.ToString(), $"--nofile={NoFile}:{NoFile}"])!;
        await prlimit.WaitForExitAsync();
        Assert.Equal(0, prlimit.ExitCode);

        await using var established = await ConnectAsync(target.Port, 1);
        await ReadAsync(established);

        var idle = new List<Socket>();
        try
        {
            for (int i = 0; i < IdleConnections; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    // A connect that does not complete at once means the listen backlog is full: the target has stopped
                    // taking connections, which is the state under test.
                    using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, target.Port), cts.Token);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                    socket.Dispose();
                    break; // the listen backlog is full as well
                }
                idle.Add(socket);
            }
            output.WriteLine($"run {run}: {idle.Count} idle connections open against a target limited to {NoFile} descriptors ({clock.Elapsed.TotalSeconds:F1} s)");

            // Let the accept loop run into EMFILE, then measure its CPU while it refuses.
            await Task.Delay(TimeSpan.FromSeconds(1));
            double cpu = await CpuShareAsync(target.ProcessId, TimeSpan.FromSeconds(3));
            int descriptors = Directory.GetFiles($"/proc/{target.ProcessId}/fd").Length;
            output.WriteLine($"run {run}: target CPU while refusing: {cpu:P1} of a core, {descriptors} descriptors open");
            Assert.True(descriptors > NoFile * 3 / 4, $"the idle connections did not exhaust the descriptors ({descriptors} open)");
            Assert.False(target.HasExited, "the target died under descriptor exhaustion:\n" + target.Describe());
            Assert.True(cpu < 0.10, $"the target spins while out of descriptors: {cpu:P1} of a core");

            // The established session keeps its I/O throughout.
            for (int i = 0; i < 5; i++)
            {
                await ReadAsync(established);
            }
        }
        finally
        {
            foreach (var socket in idle)
            {
                socket.Dispose();
            }
        }

        // Once the clients leave, new logins succeed (the target notices each close, and its accept back-off retries).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                await using var fresh = await ConnectAsync(target.Port, 2);
                await ReadAsync(fresh);
                break;
            }
            catch (Exception e) when (e is IOException or SocketException or IscsiLoginException or OperationCanceledException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
            }
        }
        Assert.False(target.HasExited, target.Describe());
        await ReadAsync(established);
        await established.LogoutAsync();
        output.WriteLine($"run {run}: a new login succeeded after the clients left; {clock.Elapsed.TotalSeconds:F1} s in all");
    }

    /// <summary>The share of one core the process used over <paramref name="window"/> (utime + stime from /proc).</summary>
    private static async Task<double> CpuShareAsync(int pid, TimeSpan window)
    {
        long before = CpuTicks(pid);
        await Task.Delay(window);
        long after = CpuTicks(pid);
        const double ticksPerSecond = 100; // USER_HZ on Linux
        return (after - before) / ticksPerSecond / window.TotalSeconds;
    }

    private static long CpuTicks(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11]) + long.Parse(fields[12]); // utime, stime (fields 14 and 15 of proc(5))
    }

    private static async Task ReadAsync(IscsiSession session)
    {
        byte[] cdb = new byte[BlockCdb.MaxLength];
        int length = BlockCdb.BuildRead(cdb, 0, 8);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var result = await session.ExecuteAsync(0, cdb.AsMemory(0, length), new byte[4096], ReadOnlyMemory<byte>.Empty, cts.Token);
        Assert.True(result.IsGood, result.Describe());
    }

    private static async Task<IscsiSession> ConnectAsync(int port, ulong isid)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var session = await IscsiSession.ConnectAsync(new IscsiSessionOptions
        {
            Portal = new TcpPortal("127.0.0.1", port),
            Connector = new TcpTransport(),
            TargetName = Iqn,
            InitiatorName = "iqn.2026-11.org.netscsi:fd-exhaustion",
            Isid = 0x00023d000000UL | isid,
            LoginTimeout = TimeSpan.FromSeconds(5),
            CommandTimeout = TimeSpan.FromSeconds(10),
        }, cts.Token);
        await session.TestUnitReadyAsync(0, cts.Token);
        return session;
    }
}
