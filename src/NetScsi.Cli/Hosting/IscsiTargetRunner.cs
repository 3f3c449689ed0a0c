using Microsoft.Extensions.Logging;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Control;
using NetScsi.Iscsi.Target;
using NetScsi.Transport;
using NetScsi.Transport.Aoe;

namespace NetScsi.Cli.Hosting;

/// <summary>Runs an <see cref="IscsiTargetServer"/> over the devices <see cref="TargetFactory"/> opened.</summary>
internal sealed class IscsiTargetRunner : ITargetRunner
{
    private readonly IscsiTargetServer _server;
    private readonly BuiltTarget _built;
    private readonly IReadOnlyList<AoePortal> _aoePortals;
    private readonly ILogger _logger;
    private AoeExports? _aoe;

    public IscsiTargetRunner(IscsiTargetServer server, BuiltTarget built, IReadOnlyList<AoePortal>? aoePortals = null, ILogger? logger = null)
    {
        _server = server;
        _built = built;
        _aoePortals = aoePortals ?? [];
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    public IReadOnlyList<ServedTarget> Targets => _built.Targets;

    public IReadOnlyList<Portal> ListeningPortals => _aoe is null ? _server.ListeningPortals : [.. _server.ListeningPortals, .. _aoePortals];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _server.StartAsync(cancellationToken).ConfigureAwait(false);
        if (_aoePortals.Count > 0)
        {
            _aoe = await AoeExports.StartAsync(_aoePortals, _built.Luns, _logger, cancellationToken).ConfigureAwait(false);
        }
    }

    public TargetController? CreateController(ServeConfiguration running, ControlSettings settings, ILoggerFactory loggerFactory) =>
        new(_server, _built, running, settings.ReloadSource, settings.ConfigPath, loggerFactory);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // AoE first: its requests in flight finish on units the server is about to flush.
        if (_aoe is { } aoe)
        {
            await aoe.DisposeAsync().ConfigureAwait(false);
        }

        await _server.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_aoe is { } aoe)
        {
            await aoe.DisposeAsync().ConfigureAwait(false);
        }

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
