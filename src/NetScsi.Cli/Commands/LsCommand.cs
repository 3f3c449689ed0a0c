using System.CommandLine;
using NetScsi.Cli.Initiator;
using NetScsi.Cli.Json.Output;
using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Initiator.Multipath;
using Spectre.Console;

namespace NetScsi.Cli.Commands;

/// <summary><c>netscsi ls URL</c>: the target's LUNs with type, size and identity.</summary>
internal sealed class LsCommand
{
    private readonly CliContext _context;
    private readonly InitiatorOptions _options;
    private readonly PathOptions _paths;
    private readonly Argument<string> _target = new("target") { Description = "iscsi://HOST[:PORT]/TARGET-IQN[/LUN], a node name (the LUN is ignored) or aoe://IFACE/SHELF.SLOT" };
    private readonly Option<bool> _json = new("--json") { Description = "Print JSON instead of a table" };

    public LsCommand(CliContext context)
    {
        _context = context;
        _options = new InitiatorOptions(context);
        Command = new Command("ls", "List a target's LUNs: type, size, vendor and product") { _target, _json };
        _options.AddTo(Command);
        _paths = new PathOptions(context);
        _paths.AddTo(Command);
        Command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(context, () => ExecuteAsync(parseResult, cancellationToken), cancellationToken));
    }

    public Command Command { get; }

    private sealed record LunInfo(ulong Lun, InquiryData? Inquiry, ReadCapacityResult? Capacity, string? Error, IReadOnlyList<TargetPortGroupInfo>? Alua);

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        string spec = parseResult.GetValue(_target)!;
        if (AoeTargets.IsAoe(spec))
        {
            _paths.RefuseFor(parseResult, spec);
            return await ExecuteAoeAsync(spec, parseResult, cancellationToken).ConfigureAwait(false);
        }

        var target = TargetResolver.ResolveTarget(spec, _options.Read(parseResult));
        IReadOnlyList<MultipathPathStatus>? paths = null;
        if (_paths.Any(parseResult))
        {
            MultipathSession multipath = await _paths.ConnectMultipathAsync(parseResult, target, cancellationToken).ConfigureAwait(false);
            paths = multipath.Paths;
            await PathOptions.CloseAsync(multipath).ConfigureAwait(false);
            // The listing goes through a path that is up: the URL's portal may be the dead one.
            if (paths.FirstOrDefault(p => p.Up) is { } up && up.Portal != target.Options.Portal?.ToString()
                && Hosting.CliTransports.Tcp.TryParsePortal(up.Portal, IscsiUrl.DefaultPort, out var portal, out _))
            {
                var options = target.Options.Clone();
                options.Portal = portal;
                target = target with { Options = options, Portal = up.Portal };
            }
        }

        var session = await Connections.ConnectAsync(target, cancellationToken, _context.Error).ConfigureAwait(false);
        var infos = new List<LunInfo>();
        try
        {
            foreach (ulong lun in await session.ReportLunsAsync(cancellationToken).ConfigureAwait(false))
            {
                InquiryData inquiry = await session.InquiryAsync(lun, cancellationToken).ConfigureAwait(false);
                ReadCapacityResult? capacity = null;
                string? error = null;
                if (inquiry.PeripheralDeviceType is 0x00 or 0x05 or 0x07 or 0x0E)
                {
                    try
                    {
                        capacity = await session.ReadCapacityAsync(lun, cancellationToken).ConfigureAwait(false);
                    }
                    catch (ScsiCommandException e)
                    {
                        // A removable unit without a medium, for instance: list it anyway.
                        error = e.Message;
                    }
                }

                var alua = await ScsiQueries.TargetPortGroupsAsync(session, lun, cancellationToken).ConfigureAwait(false);
                infos.Add(new LunInfo(lun, inquiry, capacity, error, alua));
            }
        }
        finally
        {
            await Connections.CloseAsync(session).ConfigureAwait(false);
        }

        if (parseResult.GetValue(_json))
        {
            await Output.WriteJsonAsync(_context, new LsJson(target.Portal, target.TargetName, infos.ConvertAll(info => new LsLunJson(
                info.Lun, Output.DeviceType(info.Inquiry!.PeripheralDeviceType), info.Inquiry.PeripheralDeviceType,
                info.Capacity is { } c ? c.BlockCount * (ulong)c.BlockSize : null, info.Capacity?.BlockCount, info.Capacity?.BlockSize,
                info.Inquiry.VendorId, info.Inquiry.ProductId, info.Inquiry.ProductRevision, info.Error, info.Alua)))
                { Paths = paths?.Select(p => new LsPathJson(p.Portal, p.Up, p.Group, p.State is { } st ? Scsi.Alua.AsymmetricAccessStates.Name(st) : null, p.InUse)).ToList() },
                CliOutputJsonContext.Default.LsJson).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        var console = Output.Console(_context);
        console.WriteLine($"Target {target.TargetName} at {target.Portal}");
        bool anyAlua = infos.Exists(i => i.Alua is not null);
        string[] columns = anyAlua
            ? ["LUN", "Type", "Size", "Block", "Vendor", "Product", "Revision", "ALUA groups (* this path)"]
            : ["LUN", "Type", "Size", "Block", "Vendor", "Product", "Revision"];
        var table = Output.Table(_context, columns);
        foreach (var info in infos)
        {
            string size = info.Capacity is { } c ? Output.Size((long)(c.BlockCount * (ulong)c.BlockSize)) : info.Error is null ? "-" : "no medium";
            string block = info.Capacity is { } c2 ? c2.BlockSize.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-";
            string[] cells = [info.Lun.ToString(System.Globalization.CultureInfo.InvariantCulture), Output.DeviceType(info.Inquiry!.PeripheralDeviceType),
                size, block, info.Inquiry.VendorId, info.Inquiry.ProductId, info.Inquiry.ProductRevision];
            if (anyAlua)
            {
                // "1 active-optimized*, 2 active-non-optimized": each group's id and state; * marks the group of this session's port.
                cells = [.. cells, info.Alua is null ? "-" : string.Join(", ", info.Alua.Select(g => $"{g.Tpg} {g.State}{(g.ThisPath ? "*" : "")}"))];
            }

            Output.AddRow(table, cells);
        }

        console.Write(table);
        if (paths is not null)
        {
            // Multipath: each path of the URL's LUN; commands go to the one marked in use.
            var pathTable = Output.Table(_context, ["Path", "Session", "Group", "ALUA state", "In use"]);
            foreach (var p in paths)
            {
                Output.AddRow(pathTable, [p.Portal, p.Up ? "up" : "down", p.Group?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                    p.State is { } st ? Scsi.Alua.AsymmetricAccessStates.Name(st) : p.Up ? "no ALUA" : "-", p.InUse ? "*" : ""]);
            }

            console.Write(pathTable);
        }

        return ExitCodes.Success;
    }

    /// <summary>An AoE device is one disk: its line, from Query Config and IDENTIFY DEVICE.</summary>
    private async Task<int> ExecuteAoeAsync(string spec, ParseResult parseResult, CancellationToken cancellationToken)
    {
        await using var device = await AoeTargets.OpenAsync(spec, _options.Read(parseResult), cancellationToken).ConfigureAwait(false);
        var d = AoeTargets.Describe(device);
        if (parseResult.GetValue(_json))
        {
            await Output.WriteJsonAsync(_context, d, CliOutputJsonContext.Default.AoeDeviceJson).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        var console = Output.Console(_context);
        console.WriteLine($"AoE device {d.Url} at {d.Mac}");
        var table = Output.Table(_context, "Device", "Type", "Size", "Sector", "Model", "Serial", "Firmware", "Config string");
        Output.AddRow(table, "e" + d.Device, "disk", Output.Size((long)d.SizeBytes!.Value), d.SectorSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            d.Model ?? "", d.Serial ?? "", d.Firmware ?? "", d.ConfigString);
        console.Write(table);
        return ExitCodes.Success;
    }
}
