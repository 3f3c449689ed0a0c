using System.CommandLine;
using System.Globalization;
using NetScsi.Cli.Initiator;
using NetScsi.Cli.Json.Output;

namespace NetScsi.Cli.Commands;

/// <summary><c>netscsi inquiry URL</c>: standard INQUIRY plus the unit serial number and designators.</summary>
internal sealed class InquiryCommand
{
    private readonly CliContext _context;
    private readonly InitiatorOptions _options;
    private readonly Argument<string> _target = new("target") { Description = "iscsi://HOST[:PORT]/TARGET-IQN/LUN or NODE[/LUN] (LUN 0 when omitted)" };
    private readonly Option<bool> _json = new("--json") { Description = "Print JSON instead of a table" };

    public InquiryCommand(CliContext context)
    {
        _context = context;
        _options = new InitiatorOptions(context);
        Command = new Command("inquiry", "Show a LUN's INQUIRY data: type, vendor, product, revision, serial, designators") { _target, _json };
        _options.AddTo(Command);
        Command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(context, () => ExecuteAsync(parseResult, cancellationToken), cancellationToken));
    }

    public Command Command { get; }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var target = TargetResolver.ResolveTarget(parseResult.GetValue(_target)!, _options.Read(parseResult));
        var session = await Connections.ConnectAsync(target, cancellationToken, _context.Error).ConfigureAwait(false);
        Iscsi.Initiator.InquiryData inquiry;
        string? serial;
        IReadOnlyList<string> designators;
        try
        {
            inquiry = await session.InquiryAsync(target.Lun, cancellationToken).ConfigureAwait(false);
            serial = await ScsiQueries.SerialAsync(session, target.Lun, cancellationToken).ConfigureAwait(false);
            designators = await ScsiQueries.DesignatorsAsync(session, target.Lun, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await Connections.CloseAsync(session).ConfigureAwait(false);
        }

        byte qualifier = inquiry.Raw.Length > 0 ? (byte)(inquiry.Raw[0] >> 5) : (byte)3;
        byte version = inquiry.Raw.Length > 2 ? inquiry.Raw[2] : (byte)0;
        bool removable = inquiry.Raw.Length > 1 && (inquiry.Raw[1] & 0x80) != 0;
        bool cmdQue = inquiry.Raw.Length > 7 && (inquiry.Raw[7] & 0x02) != 0;
        if (parseResult.GetValue(_json))
        {
            await Output.WriteJsonAsync(_context, new InquiryJson(
                target.Lun, qualifier, Output.DeviceType(inquiry.PeripheralDeviceType), inquiry.PeripheralDeviceType,
                inquiry.VendorId, inquiry.ProductId, inquiry.ProductRevision, version, removable, cmdQue, serial, designators),
                CliOutputJsonContext.Default.InquiryJson).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        var table = Output.Table(_context, "Field", "Value");
        Output.AddRow(table, "LUN", target.Lun.ToString(CultureInfo.InvariantCulture));
        Output.AddRow(table, "Type", Output.DeviceType(inquiry.PeripheralDeviceType));
        Output.AddRow(table, "Vendor", inquiry.VendorId);
        Output.AddRow(table, "Product", inquiry.ProductId);
        Output.AddRow(table, "Revision", inquiry.ProductRevision);
        Output.AddRow(table, "Version", string.Create(CultureInfo.InvariantCulture, $"0x{version:x2}"));
        Output.AddRow(table, "Removable", removable ? "yes" : "no");
        Output.AddRow(table, "Command queuing", cmdQue ? "yes" : "no");
        Output.AddRow(table, "Serial", serial ?? "-");
        foreach (var d in designators)
        {
            Output.AddRow(table, "Designator", d);
        }

        Output.Console(_context).Write(table);
        return ExitCodes.Success;
    }
}
