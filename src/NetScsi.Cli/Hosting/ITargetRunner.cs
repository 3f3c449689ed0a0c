using NetScsi.Transport;

namespace NetScsi.Cli.Hosting;

/// <summary>
/// A started-or-startable target server with its storage. The seam keeps hosting, output and error
/// handling testable without sockets or disks, and independent of how the server is built.
/// </summary>
internal interface ITargetRunner : IAsyncDisposable
{
    /// <summary>What is served, for the start-up banner.</summary>
    IReadOnlyList<ServedTarget> Targets { get; }

    /// <summary>Bound portals once started (port 0 resolved).</summary>
    IReadOnlyList<Portal> ListeningPortals { get; }

    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>The control plane over this runner's server (null when it has none: test doubles).</summary>
    Control.TargetController? CreateController(Configuration.ServeConfiguration running, Control.ControlSettings settings, Microsoft.Extensions.Logging.ILoggerFactory loggerFactory) => null;

    /// <summary>Stops accepting, ends sessions, flushes the logical units.</summary>
    Task StopAsync(CancellationToken cancellationToken);
}
