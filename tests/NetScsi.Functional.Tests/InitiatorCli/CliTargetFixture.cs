using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using NetScsi.Cli;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Target;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using NetScsi.Transport.Tcp;

namespace NetScsi.Functional.Tests.InitiatorCli;

/// <summary>
/// NetScsi's target in-process on a kernel-chosen loopback TCP port: an open target (LUN 0 64 MiB,
/// LUN 1 16 MiB, LUN 2 1 MiB read-only), a CHAP target and a mutual-CHAP target. The CLI runs in-process
/// against it through <see cref="RunAsync(string[])"/>.
/// </summary>
public sealed class CliTargetFixture : IAsyncLifetime
{
    public const string Open = "iqn.2026-11.org.netscsi:cli-open";
    public const string Chap = "iqn.2026-11.org.netscsi:cli-chap";
    public const string Mutual = "iqn.2026-11.org.netscsi:cli-mutual";
    public const string ChapUser = "cliuser";
    public const string ChapSecret = "cli-secret-12345";
    public const string TargetUser = "clitarget";
    public const string TargetSecret = "cli-target-secret-1";

    private IscsiTargetServer? _server;

    public int Port { get; private set; }

    public string Portal => $"127.0.0.1:{Port}";

    public string Url(string target, int lun) => $"iscsi://{Portal}/{target}/{lun}";

    public async Task InitializeAsync()
    {
        var options = new IscsiTargetOptions();
        options.Portals.Add(new TcpPortal(new IPEndPoint(IPAddress.Loopback, 0)));
        options.Transports.Add(new TcpTransport());
        var open = new TargetDefinition { Name = Open };
        open.Luns.Add(new LunMapping(0, new BlockLogicalUnit(new MemoryBlockDevice(64L << 20, 512), new LogicalUnitOptions())));
        open.Luns.Add(new LunMapping(1, new BlockLogicalUnit(new MemoryBlockDevice(16L << 20, 512), new LogicalUnitOptions())));
        open.Luns.Add(new LunMapping(2, new BlockLogicalUnit(new MemoryBlockDevice(1L << 20, 512, readOnly: true), new LogicalUnitOptions { ReadOnly = true })));
        var chap = new TargetDefinition { Name = Chap, Chap = new ChapCredentials(ChapUser, ChapSecret) };
        chap.Luns.Add(new LunMapping(0, new BlockLogicalUnit(new MemoryBlockDevice(4L << 20, 512), new LogicalUnitOptions())));
        var mutual = new TargetDefinition { Name = Mutual, Chap = new ChapCredentials(ChapUser, ChapSecret), MutualChap = new ChapCredentials(TargetUser, TargetSecret) };
        mutual.Luns.Add(new LunMapping(0, new BlockLogicalUnit(new MemoryBlockDevice(4L << 20, 512), new LogicalUnitOptions())));
        options.Targets.Add(open);
        options.Targets.Add(chap);
        options.Targets.Add(mutual);
        _server = new IscsiTargetServer(options, NullLoggerFactory.Instance);
        await _server.StartAsync();
        Port = ((TcpPortal)_server.ListeningPortals[0]).Port;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _server.StopAsync(cts.Token);
            await _server.DisposeAsync();
        }
    }

    internal sealed record Run(int ExitCode, string Output, string Error, byte[] Binary);

    /// <summary>Runs <c>netscsi ARGS</c> in-process; stdout text, stderr text and binary stdout are captured.</summary>
    internal static Task<Run> RunAsync(params string[] args) => RunAsync(terminal: false, args);

    /// <summary>As <see cref="RunAsync(string[])"/>, with stdout taken for a terminal when <paramref name="terminal"/>.</summary>
    internal static async Task<Run> RunAsync(bool terminal, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var binary = new MemoryStream();
        var context = new CliContext(output, error, new Cli.FakeTargetRunnerFactory())
        {
            BinaryOutput = binary,
            OutputIsTerminal = terminal,
            // No ambient node directory or environment leaks into tests.
            GetEnvironmentVariable = name => name == "HOME" ? Path.GetTempPath() : null,
        };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        int code = await CliApplication.RunAsync(args, context, cts.Token);
        return new Run(code, output.ToString(), error.ToString(), binary.ToArray());
    }
}
