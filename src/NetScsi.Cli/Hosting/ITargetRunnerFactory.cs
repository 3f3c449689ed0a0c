using Microsoft.Extensions.Logging;
using NetScsi.Cli.Configuration;

namespace NetScsi.Cli.Hosting;

internal interface ITargetRunnerFactory
{
    /// <summary>Opens the backing stores and builds the server (not yet listening).</summary>
    /// <exception cref="CliException">A backing store cannot be opened or created.</exception>
    Task<ITargetRunner> CreateAsync(ServeConfiguration configuration, ILoggerFactory loggerFactory, CancellationToken cancellationToken);
}
