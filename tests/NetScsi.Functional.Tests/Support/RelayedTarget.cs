using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Target;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using NetScsi.Transport.Tcp;

namespace NetScsi.Functional.Tests.Support;

/// <summary>NetScsi's target with one memory LUN on loopback TCP, reached through an <see cref="IscsiFaultRelay"/>.</summary>
internal sealed class RelayedTarget : IAsyncDisposable
{
    public const string TargetName = "iqn.2026-12.org.netscsi:relayed";

    private RelayedTarget(IscsiTargetServer server, IscsiFaultRelay relay)
    {
        Server = server;
        Relay = relay;
    }

    public IscsiTargetServer Server { get; }

    public IscsiFaultRelay Relay { get; }

    public static async Task<RelayedTarget> StartAsync(PduFault[] faults, Action<IscsiTargetOptions>? configure = null, long lunBytes = 16L * 1024 * 1024)
    {
        var options = new IscsiTargetOptions();
        var target = new TargetDefinition { Name = TargetName };
        target.Luns.Add(new LunMapping(0, new BlockLogicalUnit(new MemoryBlockDevice(lunBytes, 512), new LogicalUnitOptions())));
        options.Targets.Add(target);
        configure?.Invoke(options);
        var server = new IscsiTargetServer(options, LoggerFactory());
        var listener = TcpDataMoverListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.AddListener(listener);
        await server.StartAsync();
        return new RelayedTarget(server, IscsiFaultRelay.Start(listener.EndPoint, faults));
    }

    private static ILoggerFactory LoggerFactory() => Environment.GetEnvironmentVariable("NETSCSI_TEST_LOG") is null
        ? NullLoggerFactory.Instance
        : Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddConsole().SetMinimumLevel(LogLevel.Trace));

    public Task<IscsiSession> ConnectAsync(Action<IscsiSessionOptions>? configure = null)
    {
        var options = new IscsiSessionOptions
        {
            Portal = Relay.Portal,
            Connector = new TcpDataMoverConnector(),
            TargetName = TargetName,
            InitiatorName = "iqn.2026-12.org.netscsi:relayed-initiator",
            DefaultTime2Wait = 0,
        };
        if (Environment.GetEnvironmentVariable("NETSCSI_TEST_LOG") is not null)
        {
            options.Logger = LoggerFactory().CreateLogger("initiator");
        }
        configure?.Invoke(options);
        return IscsiSession.ConnectAsync(options, new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
    }

    public async ValueTask DisposeAsync()
    {
        await Relay.DisposeAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Server.StopAsync(cts.Token);
        await Server.DisposeAsync();
    }
}
