using Microsoft.Extensions.Logging;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Control;
using NetScsi.Iscsi.Target;
using NetScsi.Transport;

namespace NetScsi.Cli.Hosting;

/// <summary>Runs an <see cref="IscsiTargetServer"/> over the devices <see cref="TargetFactory"/> opened.</summary>
internal sealed class IscsiTargetRunner : ITargetRunner
{
    private readonly IscsiTargetServer _server;
    private readonly BuiltTarget _built;

    public IscsiTargetRunner(IscsiTargetServer server, BuiltTarget built)
    {
        _server = server;
        _built = built;
    }

    public IReadOnlyList<ServedTarget> Targets => _built.Targets;

    public IReadOnlyList<Portal> ListeningPortals => _server.ListeningPortals;

    public Task StartAsync(CancellationToken cancellationToken) => _server.StartAsync(cancellationToken);

    public TargetController? CreateController(ServeConfiguration running, ControlSettings settings, ILoggerFactory loggerFactory) =>
        new(_server, _built, running, settings.ReloadSource, settings.ConfigPath, loggerFactory);

    public Task StopAsync(CancellationToken cancellationToken) => _server.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync().ConfigureAwait(false);

        foreach (var lun in _built.Luns)
        {
            if (lun.Watcher is { } watcher)
            {
                await watcher.DisposeAsync().ConfigureAwait(false);
            }
        }

        // Devices last: the server flushes its units through them while stopping.
        foreach (var device in _built.Devices)
        {
            await device.DisposeAsync().ConfigureAwait(false);
        }
    }
}
