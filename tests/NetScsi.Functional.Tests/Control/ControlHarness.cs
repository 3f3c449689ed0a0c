using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Control;
using NetScsi.Cli.Hosting;
using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Target;
using NetScsi.Transport.InMemory;

namespace NetScsi.Functional.Tests.Control;

/// <summary>
/// A target built from a JSON config the way serve builds it (TargetFactory), served over the in-memory mover, with
/// its <see cref="TargetController"/> (no socket) and NetScsi initiators to connect.
/// </summary>
internal sealed class ControlHarness : IAsyncDisposable
{
    public const string TargetName = "iqn.2026-12.org.netscsi:control";

    private readonly BuiltTarget _built;
    private readonly List<IscsiSession> _sessions = new();
    private bool _ownsDirectory;

    private ControlHarness(string directory, string configPath, IscsiTargetServer server, BuiltTarget built, InMemoryDataMover mover, TargetController controller)
    {
        Directory = directory;
        ConfigPath = configPath;
        Server = server;
        _built = built;
        Mover = mover;
        Controller = controller;
    }

    public string Directory { get; }

    public string ConfigPath { get; }

    public IscsiTargetServer Server { get; }

    public InMemoryDataMover Mover { get; }

    public TargetController Controller { get; }

    public static string Config(string luns, string acls = "") =>
        $$"""{"portals":["127.0.0.1:0"],"targets":[{"iqn":"{{TargetName}}","luns":[{{luns}}]{{(acls.Length > 0 ? $",\"acls\":[{acls}]" : "")}}}]}""";

    public static async Task<ControlHarness> StartAsync(string configJson, string? directory = null)
    {
        bool owns = directory is null;
        directory ??= Path.Combine(Path.GetTempPath(), "netscsi-control-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var configPath = Path.Combine(directory, "target.json");
        await File.WriteAllTextAsync(configPath, configJson);
        var configuration = Load(configPath);
        var built = await TargetFactory.BuildAsync(configuration, NullLoggerFactory.Instance);
        var server = new IscsiTargetServer(built.Options, NullLoggerFactory.Instance);
        var mover = new InMemoryDataMover();
        server.AddListener(mover);
        var controller = new TargetController(server, built, configuration, () => Load(configPath), configPath, NullLoggerFactory.Instance);
        return new ControlHarness(directory, configPath, server, built, mover, controller) { _ownsDirectory = owns };
    }

    public static ServeConfiguration Load(string path)
    {
        var configuration = ServeConfigurationBuilder.Build(ConfigFileLoader.Load(path), new ServeFlags { ConfigPath = path });
        var validation = ServeConfigurationValidator.Validate(configuration);
        return validation.IsValid ? configuration : throw CliException.Usage(string.Join("; ", validation.Errors));
    }

    public Task<ControlResponse> RunAsync(ControlRequest request) => Controller.ExecuteAsync(request, CancellationToken.None);

    public async Task<ControlResponse> OkAsync(ControlRequest request)
    {
        var response = await RunAsync(request);
        Assert.True(response.Ok, response.Error);
        return response;
    }

    public async Task<IscsiSession> ConnectAsync(string initiatorName = "iqn.2026-12.org.netscsi:init-a")
    {
        var session = await IscsiSession.ConnectAsync(new IscsiSessionOptions
        {
            Portal = Mover.Portal,
            Connector = Mover,
            TargetName = TargetName,
            InitiatorName = initiatorName,
        }, new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
        _sessions.Add(session);
        // The nexus' first unit attentions (power on) are consumed, so the next one seen is the control plane's.
        for (int i = 0; i < 4 && !(await session.TestUnitReadyAsync(0)).IsGood; i++)
        {
        }

        return session;
    }

    public static string Json(ServeConfiguration configuration) => Encoding.UTF8.GetString(ConfigFileWriter.ToJson(configuration));

    public async ValueTask DisposeAsync()
    {
        foreach (var session in _sessions)
        {
            try
            {
                await session.DisposeAsync();
            }
            catch (Exception e) when (e is IOException or IscsiConnectionException or ObjectDisposedException or OperationCanceledException)
            {
            }
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Server.StopAsync(cts.Token);
        await Server.DisposeAsync();
        foreach (var device in _built.Devices)
        {
            await device.DisposeAsync();
        }

        if (_ownsDirectory)
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
