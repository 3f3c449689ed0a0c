using System.Net;
using System.Net.Sockets;
using NetScsi.Cli;

namespace NetScsi.Functional.Tests.Cli;

/// <summary>Runs the real <c>netscsi</c> entry point in-process and checks exit codes and output.</summary>
public sealed class CliEntryPointTests
{
    private sealed record Run(int ExitCode, string Output, string Error);

    private static async Task<Run> RunAsync(string[] args, FakeTargetRunnerFactory? factory = null, CancellationToken cancellationToken = default)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApplication.RunAsync(args, new CliContext(output, error, factory ?? new FakeTargetRunnerFactory()), cancellationToken);
        return new Run(code, output.ToString(), error.ToString());
    }

    // Waits for the fake runner to start; if the run ends first, fails with what it printed.
    private static async Task<FakeTargetRunner> WaitStartedAsync(FakeTargetRunnerFactory factory, Task<Run> runTask)
    {
        var first = await Task.WhenAny(factory.Started.Task, runTask).WaitAsync(TimeSpan.FromSeconds(20));
        if (first == runTask)
        {
            var run = await runTask;
            Assert.Fail($"serve ended before starting: exit {run.ExitCode}, stderr: {run.Error}, stdout: {run.Output}");
        }

        return await factory.Started.Task;
    }

    [Fact]
    public async Task Serve_BadLunSpec_Exits2NamingOption()
    {
        var run = await RunAsync(["target", "serve", "--lun", "file:a.img,sise=1G"]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("netscsi: error: invalid LUN spec 'file:a.img,sise=1G': unknown option 'sise'", run.Error);
        Assert.Contains("(see 'netscsi target serve --help')", run.Error);
    }

    [Fact]
    public async Task Serve_BadListen_Exits2NamingValue()
    {
        var run = await RunAsync(["target", "serve", "--listen", "127.0.0.1:70000"]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("invalid portal '127.0.0.1:70000': port '70000'", run.Error);
    }

    [Theory]
    [InlineData("--iqn", "iqn.2026-11.org.Example", "must be lowercase")]
    [InlineData("--chap", "nocolon", "--chap: expected USER:SECRET")]
    [InlineData("--mutual-chap", "u:", "--mutual-chap: CHAP secret is empty")]
    [InlineData("--queue-depth", "0", "--queue-depth '0'")]
    [InlineData("--max-connections", "17", "--max-connections '17': expected a whole number 1..16")]
    [InlineData("--log-level", "verbose", "invalid log level 'verbose'")]
    [InlineData("--acl", "initiator1", "invalid ACL 'initiator1'")]
    public async Task Serve_BadFlagValue_Exits2NamingCulprit(string flag, string value, string fragment)
    {
        var run = await RunAsync(["target", "serve", flag, value]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(fragment, run.Error);
    }

    [Fact]
    public async Task Serve_UnknownFlag_Exits2()
    {
        var run = await RunAsync(["target", "serve", "--allow-sanitize"]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--allow-sanitize", run.Error);
    }

    [Fact]
    public async Task NoCommand_Exits2()
    {
        var run = await RunAsync([]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("(see 'netscsi --help')", run.Error);
    }

    [Fact]
    public async Task Serve_Help_Exits0AndListsFlags()
    {
        var run = await RunAsync(["target", "serve", "--help"]);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("--listen", run.Output);
        Assert.Contains("--mutual-chap", run.Output);
    }

    [Fact]
    public async Task Serve_ConfigValidationError_Exits2()
    {
        var run = await RunAsync(["target", "serve", "--lun", "memory:1M,lun=1", "--lun", "memory:1M,lun=1"]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("LUN 1 is defined twice", run.Error);
    }

    [Fact]
    public async Task Serve_BadConfigFile_Exits2WithLine()
    {
        var path = Path.Combine(Path.GetTempPath(), $"netscsi-test-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, "{\n  \"portals\": [\"127.0.0.1\"],\n  \"colour\": \"red\"\n}");
        try
        {
            var run = await RunAsync(["target", "serve", "--config", path]);
            Assert.Equal(2, run.ExitCode);
            Assert.Contains($"{path}:3:", run.Error);
            Assert.Contains("unknown property 'colour'", run.Error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Serve_Running_PrintsPortalsAndLunsThenStopsWithExit0()
    {
        var factory = new FakeTargetRunnerFactory();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var runTask = RunAsync(
            ["target", "serve", "--listen", "127.0.0.1:0", "--iqn", "iqn.2026-11.org.example:t1", "--lun", "memory:64M,block-size=4096,readonly", "--lun", "file:/tmp/x.img,size=1G,removable", "--log-level", "warning"],
            factory,
            cts.Token);

        var runner = await WaitStartedAsync(factory, runTask);
        await Task.Delay(100); // the banner is written right after start
        cts.Cancel();
        var run = await runTask;

        Assert.Equal(0, run.ExitCode);
        Assert.True(runner.Stopped);
        Assert.Matches(@"portal 127\.0\.0\.1:\d+", run.Output);
        Assert.Contains("target iqn.2026-11.org.example:t1 open", run.Output);
        Assert.Contains("lun 0 memory size 64 MiB (67108864 bytes) block-size 4096 ro", run.Output);
        Assert.Contains("lun 1 file /tmp/x.img size 1 GiB (1073741824 bytes) block-size 512 rw,removable", run.Output);
    }

    [Fact]
    public async Task Serve_PortInUse_Exits1WithClearMessage()
    {
        using var blocker = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        blocker.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        blocker.Listen(1);
        var port = ((IPEndPoint)blocker.LocalEndPoint!).Port;

        var run = await RunAsync(["target", "serve", "--listen", $"127.0.0.1:{port}", "--lun", "memory:1M"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal($"netscsi: error: cannot listen on 127.0.0.1:{port}: address already in use", run.Error.Trim());
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Fact]
    public async Task Serve_ShortChapSecret_WarnsOnStderr()
    {
        var factory = new FakeTargetRunnerFactory();
        using var cts = new CancellationTokenSource();
        var runTask = RunAsync(["target", "serve", "--listen", "127.0.0.1:0", "--lun", "memory:1M", "--chap", "u:short", "--log-level", "error"], factory, cts.Token);
        await WaitStartedAsync(factory, runTask);
        cts.Cancel();
        var run = await runTask;
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("netscsi: warning:", run.Error);
        Assert.Contains("RFC 7143 recommends at least 12", run.Error);
    }
}
