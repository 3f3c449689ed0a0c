using NetScsi.Iscsi.Target;
using NetScsi.Scsi.Storage;
using NetScsi.Iscsi.Configuration;

namespace NetScsi.Cli.Hosting;

/// <summary>Server options ready to serve, what they contain, and the devices to dispose afterwards.</summary>
internal sealed record BuiltTarget(IscsiTargetOptions Options, IReadOnlyList<ServedTarget> Targets, IReadOnlyList<IBlockDevice> Devices);
