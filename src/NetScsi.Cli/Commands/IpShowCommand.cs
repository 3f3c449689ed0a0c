using System.CommandLine;
using System.Text;
using System.Text.Json;
using NetScsi.Cli.Configuration;

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

    private async Task<int> ExecuteAsync(System.CommandLine.ParseResult parseResult, CancellationToken cancellationToken)
    {
        string directory = parseResult.GetValue(_status) ?? IpCommand.StatusDirectory;
        string? name = parseResult.GetValue(_name);
        var documents = new List<JsonDocument>();
        try
        {
            string[] files = Directory.Exists(directory) ? Directory.GetFiles(directory, "*.json") : [];
            Array.Sort(files, StringComparer.Ordinal);
            foreach (string file in files)
            {
                if (name is not null && Path.GetFileNameWithoutExtension(file) != name)
                {
                    continue;
                }
                try
                {
                    documents.Add(JsonDocument.Parse(await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false)));
                }
                catch (Exception e) when (e is IOException or JsonException)
                {
                    // Being rewritten, or left by a process that died mid-write: skip it.
                }
            }
            if (name is not null && documents.Count == 0)
            {
                await _context.Error.WriteLineAsync($"netscsi: error: no interface '{name}' is up (no state in {directory})").ConfigureAwait(false);
                return ExitCodes.RuntimeFailure;
            }

            if (parseResult.GetValue(_json))
            {
                var buffer = new MemoryStream();
                using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
                {
                    w.WriteStartArray();
                    foreach (JsonDocument document in documents)
                    {
                        document.WriteTo(w);
                    }
                    w.WriteEndArray();
                }
                await _context.Output.WriteLineAsync(Encoding.UTF8.GetString(buffer.ToArray())).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            var text = new StringBuilder();
            foreach (JsonDocument document in documents)
            {
                JsonElement root = document.RootElement;
                JsonElement c = root.GetProperty("counters");
                JsonElement d = root.GetProperty("device");
                text.AppendLine($"{root.GetProperty("interface").GetString()}: {root.GetProperty("address").GetString() ?? "no address"} mtu {root.GetProperty("mtu").GetInt32()} target {root.GetProperty("target").GetString()} LUN {root.GetProperty("lun").GetInt32()}");
                text.AppendLine($"  tx {c.GetProperty("txDatagrams").GetInt64()} datagrams {c.GetProperty("txBytes").GetInt64()} bytes, unresolved {c.GetProperty("txUnresolved").GetInt64()}, not IPv4 {c.GetProperty("txNotIpv4").GetInt64()}, link dropped {c.GetProperty("txLinkDropped").GetInt64()}");
                text.AppendLine($"  rx {c.GetProperty("rxDatagrams").GetInt64()} datagrams {c.GetProperty("rxBytes").GetInt64()} bytes, dropped by stack {c.GetProperty("rxDropped").GetInt64()}; device dropped {d.GetProperty("dropped").GetInt64()}, busy {d.GetProperty("queueFullRefusals").GetInt64()}, too long {d.GetProperty("lengthRefusals").GetInt64()}");
                foreach (JsonElement n in root.GetProperty("neighbours").EnumerateArray())
                {
                    text.AppendLine($"  neighbour {n.GetProperty("address").GetString() ?? "(not yet known)"}{(n.GetProperty("learned").GetBoolean() ? " (learned)" : "")} {n.GetProperty("state").GetString()} {n.GetProperty("portal").GetString()} {n.GetProperty("target").GetString()} LUN {n.GetProperty("lun").GetUInt64()}: sent {n.GetProperty("sent").GetInt64()}, down {n.GetProperty("droppedDown").GetInt64()}, full {n.GetProperty("droppedFull").GetInt64()}, busy {n.GetProperty("busy").GetInt64()}, refused {n.GetProperty("rejected").GetInt64()}, failed {n.GetProperty("failed").GetInt64()}");
                }
            }
            await _context.Output.WriteAsync(text.Length == 0 ? "no IP over SCSI interface is up\n" : text.ToString()).ConfigureAwait(false);
            return ExitCodes.Success;
        }
        finally
        {
            foreach (JsonDocument document in documents)
            {
                document.Dispose();
            }
        }
    }
}
