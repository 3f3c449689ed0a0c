using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using NetScsi.Cli.Initiator;
using NetScsi.Cli.Parsing;
using NetScsi.Cli.Stats;
using Spectre.Console;

namespace NetScsi.Cli.Commands;

/// <summary>
/// <c>netscsi target stats --metrics ADDR:PORT</c>: per-LUN IOPS, MB/s, mean latency and errors of a running target,
/// every interval, like iostat. It reads the target's Prometheus endpoint (<c>serve --metrics</c>): a live table on a
/// terminal, one line per LUN and interval when piped.
/// </summary>
internal sealed class TargetStatsCommand
{
    private readonly CliContext _context;

    private readonly Option<IPEndPoint> _metrics = new("--metrics")
    {
        Description = "Where the target serves its metrics (serve --metrics ADDR:PORT)",
        HelpName = "ADDR:PORT",
        Required = true,
        CustomParser = r =>
        {
            string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (MetricsEndpointParser.TryParse(text, out var endpoint, out var error))
            {
                return endpoint;
            }
            r.AddError(error);
            return null;
        },
    };

    private readonly Option<double> _interval = new("--interval", "-i")
    {
        Description = "Seconds between reports [default: 1]",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 1,
    };

    private readonly Option<int?> _count = new("--count", "-n")
    {
        Description = "Stop after this many reports [default: until interrupted]",
        HelpName = "N",
    };

    public TargetStatsCommand(CliContext context)
    {
        _context = context;
        Command = new Command("stats", "Show a running target's per-LUN I/O rates (from its --metrics endpoint)") { _metrics, _interval, _count };
        _interval.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && result.GetValueOrDefault<double>() is var interval && (interval < 0.1 || interval > 3600))
            {
                result.AddError("--interval: give 0.1 to 3600 seconds");
            }
        });
        _count.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is int count && count < 1)
            {
                result.AddError("--count: give at least 1");
            }
        });
        Command.SetAction(ExecuteAsync);
    }

    public Command Command { get; }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var endpoint = parseResult.GetValue(_metrics)!;
        var interval = TimeSpan.FromSeconds(parseResult.GetValue(_interval));
        int? count = parseResult.GetValue(_count);
        var url = new Uri($"http://{MetricsEndpointParser.Format(endpoint)}/metrics");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            var previous = await ScrapeAsync(http, url, cancellationToken).ConfigureAwait(false);
            if (_context.OutputIsTerminal)
            {
                var console = Output.Console(_context);
                var table = Output.Table(_context, Columns);
                await console.Live(table).StartAsync(async live =>
                {
                    for (int report = 0; count is null || report < count; report++)
                    {
                        await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                        var now = await ScrapeAsync(http, url, cancellationToken).ConfigureAwait(false);
                        table.Rows.Clear();
                        foreach (var rates in LunRateCalculator.Between(previous, now))
                        {
                            table.AddRow(Cells(rates).Select(c => (Spectre.Console.Rendering.IRenderable)new Text(c)).ToArray());
                        }
                        live.Refresh();
                        previous = now;
                    }
                }).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            await _context.Output.WriteLineAsync(string.Join(' ', Columns.Select(c => c.PadLeft(Width(c))))).ConfigureAwait(false);
            for (int report = 0; count is null || report < count; report++)
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                var now = await ScrapeAsync(http, url, cancellationToken).ConfigureAwait(false);
                foreach (var rates in LunRateCalculator.Between(previous, now))
                {
                    var cells = Cells(rates);
                    await _context.Output.WriteLineAsync(string.Join(' ', cells.Select((c, i) => c.PadLeft(Width(Columns[i]))))).ConfigureAwait(false);
                }
                await _context.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
                previous = now;
            }
            return ExitCodes.Success;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Interrupted;
        }
        catch (HttpRequestException e)
        {
            await _context.Error.WriteLineAsync($"netscsi: error: cannot read {url}: {e.Message} (is the target serving with --metrics {MetricsEndpointParser.Format(endpoint)}?)").ConfigureAwait(false);
            return ExitCodes.ConnectFailure;
        }
        catch (TaskCanceledException)
        {
            await _context.Error.WriteLineAsync($"netscsi: error: {url} did not answer within 5 s").ConfigureAwait(false);
            return ExitCodes.ConnectFailure;
        }
    }

    private static readonly string[] Columns = ["target", "lun", "iops", "read_MB/s", "write_MB/s", "lat_us", "errors/s"];

    private static int Width(string column) => column == "target" ? 40 : Math.Max(column.Length, 9);

    private static string[] Cells(LunRates r) =>
    [
        r.Target,
        r.Lun.ToString(CultureInfo.InvariantCulture),
        r.Iops.ToString("0", CultureInfo.InvariantCulture),
        r.ReadMBps.ToString("0.0", CultureInfo.InvariantCulture),
        r.WriteMBps.ToString("0.0", CultureInfo.InvariantCulture),
        r.AverageLatencyUs.ToString("0.0", CultureInfo.InvariantCulture),
        r.ErrorsPerSecond.ToString("0.0", CultureInfo.InvariantCulture),
    ];

    private static async Task<LunStatsSnapshot> ScrapeAsync(HttpClient http, Uri url, CancellationToken cancellationToken)
    {
        string text = await http.GetStringAsync(url, cancellationToken).ConfigureAwait(false);
        return LunStatsSnapshot.From(PrometheusText.Parse(text), Stopwatch.GetTimestamp());
    }
}
