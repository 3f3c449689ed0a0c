using Microsoft.Extensions.Logging;
using NetScsi.Cli.Configuration;

namespace NetScsi.Cli.Hosting;

// Compiled only while the storage and logical-unit types (FileBlockDevice, MemoryBlockDevice,
// BlockLogicalUnit) and IscsiTargetServer.StartAsync are not on main; see NetScsi.Cli.csproj,
// NetScsiCliTargetBackend. Everything else in the CLI (parsing, validation, hosting) works.
internal sealed class DefaultTargetRunnerFactory : ITargetRunnerFactory
{
    public Task<ITargetRunner> CreateAsync(ServeConfiguration configuration, ILoggerFactory loggerFactory, CancellationToken cancellationToken) =>
        throw CliException.Runtime("this build has no target backend yet (built without NetScsiCliTargetBackend)");
}
