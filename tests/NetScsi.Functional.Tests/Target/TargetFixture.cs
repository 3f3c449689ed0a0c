using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Target;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using NetScsi.Transport.InMemory;

namespace NetScsi.Functional.Tests.Target;

/// <summary>A target with memory LUNs served over the in-memory data mover.</summary>
internal sealed class TargetFixture : IAsyncDisposable
{
    public const string TargetName = "iqn.2026-11.org.netscsi:functional";

    private readonly InMemoryDataMover _mover = new();

    private TargetFixture(IscsiTargetServer server)
    {
        Server = server;
    }

    public IscsiTargetServer Server { get; }

    public static async Task<TargetFixture> StartAsync(Action<IscsiTargetOptions>? configure = null, int lunCount = 1, long lunBytes = 64L * 1024 * 1024, ILoggerFactory? loggerFactory = null)
    {
        var options = new IscsiTargetOptions();
        var target = new TargetDefinition { Name = TargetName };
        for (int i = 0; i < lunCount; i++)
        {
            var device = new MemoryBlockDevice(lunBytes, 512);
            target.Luns.Add(new LunMapping(i, new BlockLogicalUnit(device, new LogicalUnitOptions())));
        }
        options.Targets.Add(target);
        options.LogoutGracePeriod = TimeSpan.Zero; // raw clients do not answer AsyncEvent 1; tests that want it set it
        configure?.Invoke(options);
        loggerFactory ??= Environment.GetEnvironmentVariable("NETSCSI_TEST_LOG") is null
            ? NullLoggerFactory.Instance
            : LoggerFactory.Create(b => b.AddConsole().SetMinimumLevel(LogLevel.Trace));
        var server = new IscsiTargetServer(options, loggerFactory);
        var fixture = new TargetFixture(server);
        server.AddListener(fixture._mover);
        await server.StartAsync();
        return fixture;
    }

    public Task<RawIscsiClient> ConnectAsync() => Task.FromResult(new RawIscsiClient(_mover.ConnectRaw(_mover.Portal)));

    /// <summary>Connects and logs in to the fixture's target with AuthMethod=None.</summary>
    public async Task<RawIscsiClient> LoginAsync(params string[] keys)
    {
        var client = await ConnectAsync();
        await client.LoginAsync(TargetName, extraKeys: keys);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Server.StopAsync(cts.Token);
        await Server.DisposeAsync();
    }
}
