using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using NetScsi.Cli;
using NetScsi.Cli.Hosting;
using NetScsi.Functional.Tests.InitiatorCli;

namespace NetScsi.Functional.Tests.Cli;

/// <summary>
/// Every <c>netscsi</c> sub-command fed bad input: exactly one <c>netscsi: error:</c> line on stderr, no .NET
/// type, parameter or exception name in it, and the exit code docs/initiator-cli.md and docs/config.md list.
/// </summary>
public sealed partial class BadInputMessageTests : IClassFixture<CliTargetFixture>, IAsyncLifetime
{
    private readonly CliTargetFixture _target;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"netscsi-badinput-{Guid.NewGuid():N}");
    private readonly System.Net.Sockets.TcpListener _garbagePeer = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private int _closedPort;

    public BadInputMessageTests(CliTargetFixture target)
    {
        _target = target;
    }

    public static TheoryData<string, string[], int> Cases() => new()
    {
        { "no command", [], ExitCodes.Usage },
        { "unknown command", ["bogus"], ExitCodes.Usage },
        { "target without sub-command", ["target"], ExitCodes.Usage },
        { "target unknown sub-command", ["target", "bogus"], ExitCodes.Usage },
        { "node unknown sub-command", ["node", "bogus"], ExitCodes.Usage },
        { "serve bad queue depth", ["target", "serve", "--queue-depth", "abc"], ExitCodes.Usage },
        { "serve memory LUN larger than the machine", ["target", "serve", "--lun", "memory:1024T", "--listen", "127.0.0.1:0"], ExitCodes.Usage },
        { "serve memory LUN past what can be addressed", ["target", "serve", "--lun", "memory:16384T,sparse", "--listen", "127.0.0.1:0"], ExitCodes.Usage },
        { "serve file LUN in a missing directory", ["target", "serve", "--lun", "file:{dir}/typo/sub/lun.img,size=1M", "--listen", "127.0.0.1:0"], ExitCodes.Usage },
        { "serve file LUN that is a directory", ["target", "serve", "--lun", "file:{dir},size=1M", "--listen", "127.0.0.1:0"], ExitCodes.Usage },
        { "serve config that is a directory", ["target", "serve", "--config", "{dir}"], ExitCodes.Usage },
        { "serve config with a duplicate property", ["target", "serve", "--config", "{dir}/duplicate.json"], ExitCodes.Usage },
        { "serve unknown flag", ["target", "serve", "--allow-sanitize"], ExitCodes.Usage },
        { "discover without portal", ["discover"], ExitCodes.Usage },
        { "discover refused", ["discover", "127.0.0.1:{closed}", "--timeout", "5"], ExitCodes.ConnectFailure },
        { "discover a peer that is not iSCSI", ["discover", "127.0.0.1:{garbage}", "--timeout", "5"], ExitCodes.TargetMisbehaved },
        { "ls a peer that is not iSCSI", ["ls", "iscsi://127.0.0.1:{garbage}/iqn.2026-11.org.x:y/0", "--timeout", "5"], ExitCodes.TargetMisbehaved },
        { "ls bad URL", ["ls", "iscsi://", "--node-dir", "{dir}"], ExitCodes.Usage },
        { "ls without CHAP", ["ls", "{chap}", "--timeout", "5"], ExitCodes.LoginFailure },
        { "inquiry neither URL nor node", ["inquiry", "notaurl", "--node-dir", "{dir}"], ExitCodes.Usage },
        { "capacity bad timeout", ["capacity", "{open}", "--timeout", "xyz"], ExitCodes.Usage },
        { "read negative LBA", ["read", "{open}", "--lba", "-1", "--blocks", "1"], ExitCodes.Usage },
        { "read blocks not a number", ["read", "{open}", "--blocks", "abc"], ExitCodes.Usage },
        { "read past the end", ["read", "{open}", "--lba", "999999999", "--blocks", "1", "-o", "{dir}/out.bin"], ExitCodes.Usage },
        { "write missing input file", ["write", "{open}", "-i", "{dir}/missing.bin"], ExitCodes.RuntimeFailure },
        { "write to a read-only LUN", ["write", "{readonly}", "-i", "{dir}/block.bin"], ExitCodes.ScsiError },
        { "unmap past the end", ["unmap", "{open}", "--lba", "999999999", "--blocks", "1"], ExitCodes.Usage },
        { "unmap without blocks", ["unmap", "{open}"], ExitCodes.Usage },
        { "unmap an AoE device", ["unmap", "aoe://lo/1.0", "--blocks", "1"], ExitCodes.Usage },
        { "copy without destination", ["copy", "a"], ExitCodes.Usage },
        { "copy to a malformed AoE URL", ["copy", "{dir}/block.bin", "aoe://eth0/1"], ExitCodes.Usage },
        { "bench bad queue depth", ["bench", "{open}", "--queue-depth", "-5"], ExitCodes.Usage },
        { "bench zero seconds", ["bench", "{open}", "--seconds", "0"], ExitCodes.Usage },
        { "node without sub-command", ["node"], ExitCodes.Usage },
        { "node show missing", ["node", "show", "nothere", "--node-dir", "{dir}"], ExitCodes.Usage },
        { "node delete missing", ["node", "delete", "nothere", "--node-dir", "{dir}"], ExitCodes.Usage },
        { "node update bad timeout", ["node", "update", "x", "--timeout", "abc", "--node-dir", "{dir}"], ExitCodes.Usage },
    };

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "duplicate.json"), """{ "queueDepth": 1, "queueDepth": 2 }""");
        File.WriteAllBytes(Path.Combine(_dir, "block.bin"), new byte[512]);

        var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        _closedPort = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();

        _garbagePeer.Start();
        _ = AnswerWithGarbageAsync();
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _stop.Cancel();
        _garbagePeer.Stop();
        _stop.Dispose();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadInput_PrintsOneClearLineAndTheDocumentedExitCode(string name, string[] args, int exitCode)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        // The real runner: the backing-store checks happen where the target is built. A target that starts
        // anyway is stopped by the timeout and fails the exit-code check.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var code = await CliApplication.RunAsync(args.Select(Expand).ToArray(), new CliContext(output, error, new DefaultTargetRunnerFactory()), timeout.Token);

        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"{name}: expected one line on stderr, got {lines.Length}:\n{error}");
        Assert.StartsWith("netscsi: error: ", lines[0]);
        Assert.False(DotNetInternals().IsMatch(lines[0]), $"{name}: .NET internals in \"{lines[0]}\"");
        Assert.True(exitCode == code, $"{name}: exit {code}, expected {exitCode}: {lines[0]}");
    }

    private string Expand(string arg) => arg
        .Replace("{dir}", _dir, StringComparison.Ordinal)
        .Replace("{closed}", _closedPort.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{garbage}", ((IPEndPoint)_garbagePeer.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{open}", _target.Url(CliTargetFixture.Open, 0), StringComparison.Ordinal)
        .Replace("{readonly}", _target.Url(CliTargetFixture.Open, 2), StringComparison.Ordinal)
        .Replace("{chap}", _target.Url(CliTargetFixture.Chap, 0), StringComparison.Ordinal);

    // A peer that is no iSCSI target: answers the Login Request with an HTTP error page.
    private async Task AnswerWithGarbageAsync()
    {
        byte[] answer = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"u8.ToArray().Concat(Enumerable.Repeat((byte)'x', 100)).ToArray();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                using Socket peer = await _garbagePeer.AcceptSocketAsync(_stop.Token);
                await peer.ReceiveAsync(new byte[4096], SocketFlags.None, _stop.Token);
                await peer.SendAsync(answer, SocketFlags.None, _stop.Token);
                peer.Shutdown(SocketShutdown.Both);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    // Type names, parameter names, exception names, stack frames.
    [GeneratedRegex(@"System\.|\(Parameter '|Exception|Dto\b|NetScsi\.|   at |expected type")]
    private static partial Regex DotNetInternals();
}
