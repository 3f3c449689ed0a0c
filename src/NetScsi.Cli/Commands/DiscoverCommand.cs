using System.CommandLine;
using NetScsi.Cli.Initiator;
using NetScsi.Cli.Json.Output;
using NetScsi.Cli.Nodes;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Parsing;
using NetScsi.Transport.Aoe.Client;
using Spectre.Console;

namespace NetScsi.Cli.Commands;

/// <summary><c>netscsi discover HOST[:PORT]</c>: SendTargets discovery, optionally saved as node records.</summary>
internal sealed class DiscoverCommand
{
    private readonly CliContext _context;
    private readonly InitiatorOptions _options;
    private readonly Argument<string> _portal = new("portal") { Description = "HOST[:PORT] (IPv6 in brackets), an iscsi:// URL, a node name, eth:IFACE or aoe:IFACE (AoE broadcast Query Config)" };
    private readonly Option<bool> _json = new("--json") { Description = "Print JSON instead of a table" };
    private readonly Option<bool> _save = new("--save") { Description = "Save each target as a node record named after its IQN (credentials and digest flags included)" };

    public DiscoverCommand(CliContext context)
    {
        _context = context;
        _options = new InitiatorOptions(context);
        Command = new Command("discover", "List the targets a portal offers (SendTargets=All)") { _portal, _json, _save };
        _options.AddTo(Command);
        Command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(context, () => ExecuteAsync(parseResult, cancellationToken), cancellationToken));
    }

    public Command Command { get; }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var settings = _options.Read(parseResult);
        string spec = parseResult.GetValue(_portal)!;
        if (AoeUrl.IsAoePortal(spec))
        {
            return await ExecuteAoeAsync(spec, settings, parseResult, cancellationToken).ConfigureAwait(false);
        }

        var portal = TargetResolver.ResolvePortal(spec, settings);
        var targets = await Connections.DiscoverAsync(portal, cancellationToken).ConfigureAwait(false);

        var saved = new List<string>();
        if (parseResult.GetValue(_save))
        {
            foreach (var target in targets)
            {
                var record = settings.Nodes.TryLoad(target.TargetName) ?? new NodeRecord { Name = target.TargetName };
                record.Name = target.TargetName;
                record.Target = target.TargetName;
                // The first portal the target reports; our discovery portal when it reports none.
                record.Portal = target.Portals.Count > 0
                    ? (target.Portals[0].Host.Contains(':', StringComparison.Ordinal) ? $"[{target.Portals[0].Host}]" : target.Portals[0].Host) + ":" + target.Portals[0].Port
                    : portal.Portal;
                var options = portal.Options;
                record.InitiatorName = settings.InitiatorName ?? record.InitiatorName;
                if (options.ChapUser is not null && options.ChapSecret is not null)
                {
                    record.Chap = new NodeChap { User = options.ChapUser, Secret = options.ChapSecret };
                }

                if (options.MutualChapUser is not null && options.MutualChapSecret is not null)
                {
                    record.MutualChap = new NodeChap { User = options.MutualChapUser, Secret = options.MutualChapSecret };
                }

                if (settings.HeaderDigest is bool header)
                {
                    record.HeaderDigest = DigestParser.Format(header);
                }

                if (settings.DataDigest is bool data)
                {
                    record.DataDigest = DigestParser.Format(data);
                }

                settings.Nodes.Save(record);
                saved.Add(record.Name);
            }
        }

        if (parseResult.GetValue(_json))
        {
            await Output.WriteJsonAsync(_context, new DiscoverJson(
                portal.Portal,
                targets.Select(t => new DiscoveredTargetJson(t.TargetName, t.Portals.Select(p => new DiscoveredPortalJson(p.Address, p.Host, p.Port, p.PortalGroupTag)).ToList())).ToList(),
                saved.Count > 0 ? saved : null),
                CliOutputJsonContext.Default.DiscoverJson).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        var console = Output.Console(_context);
        if (targets.Count == 0)
        {
            console.WriteLine($"No targets at {portal.Portal}.");
        }
        else
        {
            var table = Output.Table(_context, "Target", "Portal", "TPGT");
            foreach (var target in targets)
            {
                if (target.Portals.Count == 0)
                {
                    Output.AddRow(table, target.TargetName, "", "");
                }

                foreach (var p in target.Portals)
                {
                    Output.AddRow(table, target.TargetName, p.Address, p.PortalGroupTag?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "");
                }
            }

            console.Write(table);
        }

        foreach (var name in saved)
        {
            console.WriteLine($"Saved node {name} ({settings.Nodes.PathOf(name)})");
        }

        return ExitCodes.Success;
    }

    /// <summary>How long the broadcast Query Config collects replies.</summary>
    private static readonly TimeSpan AoeDiscoveryWait = TimeSpan.FromMilliseconds(1000);

    /// <summary>
    /// <c>discover aoe:IFACE</c>: every device that answers a broadcast Query Config, then its size from IDENTIFY
    /// DEVICE (a device that does not answer that within a few seconds is listed with the error).
    /// </summary>
    private async Task<int> ExecuteAoeAsync(string spec, InitiatorSettings settings, ParseResult parseResult, CancellationToken cancellationToken)
    {
        if (!AoeUrl.TryParsePortal(spec, out var iface, out var error))
        {
            throw CliException.Usage($"invalid portal '{spec}': {error}");
        }

        if (parseResult.GetValue(_save))
        {
            throw CliException.Usage("--save keeps iSCSI node records; an AoE device is named by its URL (aoe://IFACE/SHELF.SLOT)");
        }

        var found = await AoeTargets.DiscoverAsync(iface, AoeDiscoveryWait, cancellationToken).ConfigureAwait(false);
        var devices = new List<AoeDeviceJson>();
        var identifySettings = settings with { Timeout = settings.Timeout ?? TimeSpan.FromSeconds(3) };
        foreach (var config in found)
        {
            var url = new AoeUrl(iface, config.Shelf, config.Slot);
            try
            {
                await using var device = await AoeTargets.OpenAsync(url.ToString(), identifySettings, cancellationToken).ConfigureAwait(false);
                devices.Add(AoeTargets.Describe(url, config, device.Identity, null));
            }
            catch (CliException e)
            {
                devices.Add(AoeTargets.Describe(url, config, null, e.Message));
            }
        }

        if (parseResult.GetValue(_json))
        {
            await Output.WriteJsonAsync(_context, new AoeDiscoverJson(iface, devices), CliOutputJsonContext.Default.AoeDiscoverJson).ConfigureAwait(false);
            return devices.Count == 0 ? ExitCodes.ConnectFailure : ExitCodes.Success;
        }

        var console = Output.Console(_context);
        if (devices.Count == 0)
        {
            await _context.Error.WriteLineAsync($"netscsi: error: no AoE device answers a broadcast Query Config on {iface}").ConfigureAwait(false);
            return ExitCodes.ConnectFailure;
        }

        var table = Output.Table(_context, "Device", "MAC", "Size", "Model", "Buffers", "Sectors/frame", "Config string");
        foreach (var d in devices)
        {
            Output.AddRow(table, "e" + d.Device, d.Mac, d.SizeBytes is ulong bytes ? Output.Size((long)bytes) : d.Error ?? "-", d.Model ?? "",
                d.BufferCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                d.SectorsPerCommand.ToString(System.Globalization.CultureInfo.InvariantCulture), d.ConfigString);
        }

        console.Write(table);
        return ExitCodes.Success;
    }
}
