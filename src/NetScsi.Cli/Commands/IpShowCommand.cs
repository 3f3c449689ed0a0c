using System.CommandLine;
using System.Text;
using NetScsi.Cli.Initiator;
using NetScsi.Cli.Json.Output;

namespace NetScsi.Cli.Commands;

/// <summary><c>netscsi ip show [NAME] [--json]</c>: the neighbour table and counters of running <c>ip up</c> interfaces.</summary>
internal sealed class IpShowCommand
{
    private readonly CliContext _context;
    private readonly Argument<string?> _name = new("name") { Description = "Interface name [default: every running interface]", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<bool> _json = new("--json") { Description = "Print the state as JSON (an array, one object per interface)" };
    private readonly Option<string> _status = new("--status-dir") { Description = $"Where 'ip up' keeps its state [default: {IpCommand.StatusDirectory}]", HelpName = "DIR" };

    public IpShowCommand(CliContext context)
    {
        _context = context;
        Command = new Command("show", "Show running IP over SCSI interfaces: neighbours, link states, counters") { _name, _json, _status };
        Command.SetAction(ExecuteAsync);
    }

    public Command Command { get; }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        string directory = parseResult.GetValue(_status) ?? IpCommand.StatusDirectory;
        string? name = parseResult.GetValue(_name);
        string[] files = Directory.Exists(directory) ? Directory.GetFiles(directory, "*.json") : [];
        Array.Sort(files, StringComparer.Ordinal);
        var interfaces = new List<IpStatusJson>();
        foreach (string file in files)
        {
            // A file being rewritten, or left by a process that died mid-write, is skipped.
            if ((name is null || Path.GetFileNameWithoutExtension(file) == name) && IpStatus.TryRead(file) is IpStatusJson status)
            {
                interfaces.Add(status);
            }
        }
        if (name is not null && interfaces.Count == 0)
        {
            await _context.Error.WriteLineAsync($"netscsi: error: no interface '{name}' is up (no state in {directory})").ConfigureAwait(false);
            return ExitCodes.RuntimeFailure;
        }

        if (parseResult.GetValue(_json))
        {
            await Output.WriteJsonAsync(_context, interfaces.ToArray(), CliOutputJsonContext.Default.IpStatusJsonArray).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        var text = new StringBuilder();
        foreach (IpStatusJson s in interfaces)
        {
            IpInterfaceCountersJson c = s.Counters;
            IpDeviceCountersJson d = s.Device;
            text.AppendLine($"{s.Interface}: {s.Address ?? "no address"} mtu {s.Mtu} target {s.Target} LUN {s.Lun}");
            text.AppendLine($"  tx {c.TxDatagrams} datagrams {c.TxBytes} bytes, unresolved {c.TxUnresolved}, not IPv4 {c.TxNotIpv4}, link dropped {c.TxLinkDropped}");
            text.AppendLine($"  rx {c.RxDatagrams} datagrams {c.RxBytes} bytes, dropped by stack {c.RxDropped}; device dropped {d.Dropped}, busy {d.QueueFullRefusals}, too long {d.LengthRefusals}");
            text.AppendLine($"  neighbour queries sent {c.QueriesSent}, answered {c.QueriesAnswered}, learned {c.NeighboursLearned}, unmatched {c.QueriesUnmatched}");
            foreach (IpNeighbourJson n in s.Neighbours)
            {
                text.AppendLine($"  neighbour {n.Address ?? "(not yet known)"}{(n.Learned ? " (learned)" : "")} {n.State} {n.Portal} {n.Target} LUN {n.Lun}: sent {n.Sent}, down {n.DroppedDown}, full {n.DroppedFull}, busy {n.Busy}, refused {n.Rejected}, failed {n.Failed}");
            }
        }
        await _context.Output.WriteAsync(text.Length == 0 ? "no IP over SCSI interface is up\n" : text.ToString()).ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
