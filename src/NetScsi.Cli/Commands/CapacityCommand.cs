using System.CommandLine;
using System.Globalization;
using NetScsi.Cli.Initiator;
using NetScsi.Cli.Json.Output;

namespace NetScsi.Cli.Commands;

/// <summary><c>netscsi capacity URL</c>: READ CAPACITY and the provisioning bits.</summary>
internal sealed class CapacityCommand
{
    private readonly CliContext _context;
    private readonly InitiatorOptions _options;
    private readonly Argument<string> _target = new("target") { Description = "iscsi://HOST[:PORT]/TARGET-IQN/LUN, NODE[/LUN] (LUN 0 when omitted) or aoe://IFACE/SHELF.SLOT" };
    private readonly Option<bool> _json = new("--json") { Description = "Print JSON instead of a table" };

    public CapacityCommand(CliContext context)
    {
        _context = context;
        _options = new InitiatorOptions(context);
        Command = new Command("capacity", "Show a LUN's size, block size and thin provisioning") { _target, _json };
        _options.AddTo(Command);
        Command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(context, () => ExecuteAsync(parseResult, cancellationToken), cancellationToken));
    }

    public Command Command { get; }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        string spec = parseResult.GetValue(_target)!;
        if (AoeTargets.IsAoe(spec))
        {
            return await ExecuteAoeAsync(spec, parseResult, cancellationToken).ConfigureAwait(false);
        }

        var target = TargetResolver.ResolveTarget(spec, _options.Read(parseResult));
        var session = await Connections.ConnectAsync(target, cancellationToken, _context.Error).ConfigureAwait(false);
        Iscsi.Initiator.ReadCapacityResult capacity;
        Provisioning provisioning;
        try
        {
            capacity = await session.ReadCapacityAsync(target.Lun, cancellationToken).ConfigureAwait(false);
            provisioning = await ScsiQueries.ProvisioningAsync(session, target.Lun, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await Connections.CloseAsync(session).ConfigureAwait(false);
        }

        ulong bytes = capacity.BlockCount * (ulong)capacity.BlockSize;
        if (parseResult.GetValue(_json))
        {
            await Output.WriteJsonAsync(_context, new CapacityJson(
                target.Lun, capacity.BlockCount, capacity.BlockSize, bytes, provisioning.Thin, provisioning.UnmappedReadsZero,
                provisioning.Unmap, provisioning.WriteSame16Unmap),
                CliOutputJsonContext.Default.CapacityJson).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        var table = Output.Table(_context, "Field", "Value");
        Output.AddRow(table, "LUN", target.Lun.ToString(CultureInfo.InvariantCulture));
        Output.AddRow(table, "Size", $"{Output.Size((long)bytes)} ({bytes.ToString(CultureInfo.InvariantCulture)} bytes)");
        Output.AddRow(table, "Blocks", capacity.BlockCount.ToString(CultureInfo.InvariantCulture));
        Output.AddRow(table, "Block size", capacity.BlockSize.ToString(CultureInfo.InvariantCulture));
        Output.AddRow(table, "Thin provisioned", provisioning.Thin ? "yes" : "no");
        Output.AddRow(table, "Unmapped reads zero", provisioning.UnmappedReadsZero ? "yes" : "no");
        Output.AddRow(table, "UNMAP", provisioning.Unmap ? "yes" : "no");
        Output.AddRow(table, "WRITE SAME (UNMAP)", provisioning.WriteSame16Unmap ? "yes" : "no");
        Output.Console(_context).Write(table);
        return ExitCodes.Success;
    }

    /// <summary>An AoE device: its IDENTIFY DEVICE size and the Query Config reply.</summary>
    private async Task<int> ExecuteAoeAsync(string spec, ParseResult parseResult, CancellationToken cancellationToken)
    {
        await using var device = await AoeTargets.OpenAsync(spec, _options.Read(parseResult), cancellationToken).ConfigureAwait(false);
        var described = AoeTargets.Describe(device);
        if (parseResult.GetValue(_json))
        {
            await Output.WriteJsonAsync(_context, described, CliOutputJsonContext.Default.AoeDeviceJson).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        AoeTargets.WriteTable(_context, described, device.SectorsPerFrame);
        return ExitCodes.Success;
    }
}
