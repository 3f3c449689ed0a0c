using System.Net.Sockets;
using System.Text;

namespace NetScsi.Interop.Tests;

/// <summary>
/// The systemd unit (dist/systemd/netscsi-target.service) and <c>Type=notify</c>: the unit passes
/// <c>systemd-analyze verify</c>, and the target tells a stand-in for systemd READY=1 only once its portal
/// accepts connections, then STOPPING=1 on SIGTERM.
/// </summary>
public sealed class SystemdServiceTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("netscsi-systemd-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task Unit_PassesSystemdAnalyzeVerify()
    {
        // verify checks that ExecStart names an executable: point it at one that exists here.
        string unit = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "dist", "systemd", "netscsi-target.service"));
        string copy = Path.Combine(_work, "netscsi-target.service");
        await File.WriteAllTextAsync(copy, unit.Replace("/usr/local/bin/netscsi", "/bin/true", StringComparison.Ordinal));

        var result = await ToolRunner.RunAsync("systemd-analyze", "verify", copy);

        Assert.True(result.ExitCode == 0 && !result.Stderr.Contains("netscsi-target.service:", StringComparison.Ordinal), result.Describe());
    }

    [Fact]
    public async Task NotifySocket_GetsReadyOnceListening_AndStoppingOnSigterm()
    {
        string socketPath = Path.Combine(_work, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));

        var target = await NetScsiTargetProcess.StartAsync(_work, new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath },
            "--listen", "127.0.0.1:0", "--lun", "memory:16M", "--log-level", "warning");
        await using (target)
        {
            string ready = await ReceiveAsync(notify);
            Assert.Contains("READY=1", ready, StringComparison.Ordinal);
            // READY means the portal accepts: the connection must succeed now.
            using (var probe = new TcpClient())
            {
                await probe.ConnectAsync("127.0.0.1", target.Port);
            }

            int exit = await target.StopAsync();
            Assert.Equal(0, exit);
            Assert.Contains("STOPPING=1", await ReceiveAsync(notify), StringComparison.Ordinal);
        }
    }

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        int n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NetScsi.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("NetScsi.slnx not found above " + AppContext.BaseDirectory);
    }
}
