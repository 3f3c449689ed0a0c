using NetScsi.Iscsi.Configuration;
using NetScsi.Scsi.Storage;

namespace NetScsi.Cli.Hosting;

/// <summary>Server options ready to serve, what they contain, and the devices to dispose afterwards.</summary>
internal sealed record BuiltTarget(IscsiTargetOptions Options, IReadOnlyList<ServedTarget> Targets, IReadOnlyList<IBlockDevice> Devices)
{
    /// <summary>What watches the devices (ALUA lock followers): stopped after the server, before the devices close.</summary>
    public IReadOnlyList<IAsyncDisposable> Watchers { get; init; } = [];
}
