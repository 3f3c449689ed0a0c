using Microsoft.Extensions.Logging;
using NetScsi.Cli.Configuration;
using NetScsi.Iscsi.Target;

namespace NetScsi.Cli.Hosting;

/// <summary>The real backend: file and memory devices served by <see cref="IscsiTargetServer"/>.</summary>
internal sealed class DefaultTargetRunnerFactory : ITargetRunnerFactory
{
    public async Task<ITargetRunner> CreateAsync(ServeConfiguration configuration, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var built = await TargetFactory.BuildAsync(configuration, loggerFactory).ConfigureAwait(false);
        return new IscsiTargetRunner(new IscsiTargetServer(built.Options, loggerFactory), built,
            configuration.Portals.OfType<Transport.Aoe.AoePortal>().ToList(), loggerFactory.CreateLogger("NetScsi.Aoe"));
    }
}
