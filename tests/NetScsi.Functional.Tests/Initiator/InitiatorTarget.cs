using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Target;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using NetScsi.Transport.InMemory;

namespace NetScsi.Functional.Tests.Initiator;

/// <summary>NetScsi's target with memory LUNs over the in-memory mover, for the initiator to talk to.</summary>
internal sealed class InitiatorTarget : IAsyncDisposable
{
    public const string TargetName = "iqn.2026-11.org.netscsi:initiator-functional";

    private InitiatorTarget(IscsiTargetServer server, InMemoryDataMover mover, TargetDefinition target)
    {
        Server = server;
        Mover = mover;
        Target = target;
    }

    public IscsiTargetServer Server { get; }

    public InMemoryDataMover Mover { get; }

    public TargetDefinition Target { get; }

    public static async Task<InitiatorTarget> StartAsync(Action<IscsiTargetOptions, TargetDefinition>? configure = null, Func<IBlockDevice, IBlockDevice>? wrap = null, long lunBytes = 64L * 1024 * 1024)
    {
        var options = new IscsiTargetOptions();
        var target = new TargetDefinition { Name = TargetName };
        IBlockDevice device = new MemoryBlockDevice(lunBytes, 512);
        if (wrap is not null)
        {
            device = wrap(device);
        }

        target.Luns.Add(new LunMapping(0, new BlockLogicalUnit(device, new LogicalUnitOptions())));
        options.Targets.Add(target);
        configure?.Invoke(options, target);
        var loggerFactory = Environment.GetEnvironmentVariable("NETSCSI_TEST_LOG") is null
            ? NullLoggerFactory.Instance
            : LoggerFactory.Create(b => b.AddConsole().SetMinimumLevel(LogLevel.Trace));
        var server = new IscsiTargetServer(options, loggerFactory);
        var mover = new InMemoryDataMover();
        server.AddListener(mover);
        await server.StartAsync();
        return new InitiatorTarget(server, mover, target);
    }

    public IscsiSessionOptions Options(Action<IscsiSessionOptions>? configure = null)
    {
        var options = new IscsiSessionOptions
        {
            Portal = Mover.Portal,
            Connector = Mover,
            TargetName = TargetName,
            InitiatorName = "iqn.2026-11.org.netscsi:functional-initiator",
        };
        if (Environment.GetEnvironmentVariable("NETSCSI_TEST_LOG") is not null)
        {
            options.Logger = LoggerFactory.Create(b => b.AddConsole().SetMinimumLevel(LogLevel.Trace)).CreateLogger("initiator");
        }

        configure?.Invoke(options);
        return options;
    }

    public Task<IscsiSession> ConnectAsync(Action<IscsiSessionOptions>? configure = null) =>
        IscsiSession.ConnectAsync(Options(configure), new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Server.StopAsync(cts.Token);
        await Server.DisposeAsync();
    }
}
