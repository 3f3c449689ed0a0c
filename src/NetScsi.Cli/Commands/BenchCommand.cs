using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using NetScsi.Cli.Bench;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Initiator;
using NetScsi.Cli.Json.Output;
using NetScsi.Cli.Parsing;
using NetScsi.Iscsi.Initiator;
using NetScsi.Transport.Aoe.Client;
using Spectre.Console;

namespace NetScsi.Cli.Commands;

/// <summary><c>netscsi bench URL</c>: fio-style load (pattern, block size, queue depth, sessions, duration).</summary>
internal sealed class BenchCommand
{
    private readonly CliContext _context;
    private readonly InitiatorOptions _options;
    private readonly PathOptions _paths;
    private readonly Argument<string> _target = new("target") { Description = "iscsi://HOST[:PORT]/TARGET-IQN/LUN, NODE[/LUN] (LUN 0 when omitted) or aoe://IFACE/SHELF.SLOT" };
    private readonly Option<BenchPattern> _pattern = new("--pattern", "--rw")
    {
        Description = "read, write, randread, randwrite or randrw (50/50) [default: randread]. Write patterns destroy the LUN's data",
        HelpName = "PATTERN",
        DefaultValueFactory = _ => BenchPattern.RandRead,
        CustomParser = ParsePattern,
    };

    private readonly Option<long> _blockSize = new("--block-size", "--bs")
    {
        Description = "Bytes per I/O, a multiple of the LUN's block size [default: 4k]",
        HelpName = "SIZE",
        DefaultValueFactory = _ => 4096,
        CustomParser = r => ParseSize(r, "--block-size", 512, 16L * 1024 * 1024),
    };

    private readonly Option<int> _queueDepth = new("--queue-depth", "--iodepth") { Description = "I/Os in flight per session [default: 32]", HelpName = "N", DefaultValueFactory = _ => 32, CustomParser = r => NumberParser.Whole(r, "--queue-depth", 1, 1024) };
    private readonly Option<double> _seconds = new("--seconds", "--runtime") { Description = "Run time [default: 10]", HelpName = "S", DefaultValueFactory = _ => 10, CustomParser = r => NumberParser.Seconds(r, "--seconds", 0, 86400, minExclusive: true) };
    private readonly Option<double> _rampTime = new("--ramp-time") { Description = "Run this long before measuring (warm-up, as fio's ramp_time) [default: 0]", HelpName = "S", DefaultValueFactory = _ => 0, CustomParser = r => NumberParser.Seconds(r, "--ramp-time", 0, 3600, minExclusive: false) };
    private readonly Option<int> _sessions = new("--sessions") { Description = "Sessions, each with --queue-depth I/Os in flight [default: 1]", HelpName = "N", DefaultValueFactory = _ => 1, CustomParser = r => NumberParser.Whole(r, "--sessions", 1, 64) };
    private readonly Option<long?> _size = new("--size")
    {
        Description = "Confine I/O to the first SIZE bytes of the LUN [default: all of it]",
        HelpName = "SIZE",
        CustomParser = r => ParseSize(r, "--size", 512, long.MaxValue),
    };

    private readonly Option<string> _buffers = new("--buffers")
    {
        Description = "Where reads land: pooled (an array the session rents as the data arrives, like libiscsi's tasks) "
            + "or fixed (one buffer per I/O in flight, like fio's) [default: pooled]",
        HelpName = "KIND",
        DefaultValueFactory = _ => "pooled",
    };

    private readonly Option<bool> _json = new("--json") { Description = "Print JSON: iops, mb_per_s, latency_us {p50, p99, p99_9, ...}" };

    public BenchCommand(CliContext context)
    {
        _context = context;
        _options = new InitiatorOptions(context);
        Command = new Command("bench", "Measure IOPS, throughput and latency (fio's vocabulary)")
        {
            _target, _pattern, _blockSize, _queueDepth, _seconds, _rampTime, _sessions, _size, _buffers, _json,
        };
        _options.AddTo(Command);
        _paths = new PathOptions(context);
        _paths.AddTo(Command);
        _buffers.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is not ("pooled" or "fixed"))
            {
                r.AddError($"--buffers '{r.GetValueOrDefault<string>()}': expected pooled or fixed");
            }
        });
        Command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(context, () => ExecuteAsync(parseResult, cancellationToken), cancellationToken));
    }

    public Command Command { get; }

    private static BenchPattern ParsePattern(ArgumentResult result)
    {
        var text = result.Tokens[^1].Value;
        if (BenchPatterns.TryParse(text, out var pattern))
        {
            return pattern;
        }

        result.AddError($"--pattern '{text}': expected read, write, randread, randwrite or randrw");
        return default;
    }

    private static long ParseSize(ArgumentResult result, string name, long min, long max)
    {
        var text = result.Tokens[^1].Value;
        if (!ByteSizeParser.TryParse(text, out long value, out var error))
        {
            result.AddError($"{name}: {error}");
            return 0;
        }

        if (value < min || value > max)
        {
            result.AddError($"{name} '{text}' is out of range");
        }

        return value;
    }

    private const string InlineSocketCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        string spec = parseResult.GetValue(_target)!;
        if (AoeTargets.IsAoe(spec))
        {
            _paths.RefuseFor(parseResult, spec);
            return await ExecuteAoeAsync(spec, parseResult, cancellationToken).ConfigureAwait(false);
        }

        var target = TargetResolver.ResolveTarget(spec, _options.Read(parseResult));
        // The workers' continuations only record a latency and submit the next I/O: safe to run on the
        // receive loop, which saves a thread hop per I/O and batches the resubmissions.
        target.Options.InlineCompletions = true;
        // Likewise one level down: the runtime then runs socket completions (our receive loop) on its epoll
        // thread instead of waking a pool thread per read. Read once, when the first socket starts its I/O,
        // which has not happened yet in this process (an explicit setting in the environment wins).
        if (Environment.GetEnvironmentVariable(InlineSocketCompletions) is null)
        {
            Environment.SetEnvironmentVariable(InlineSocketCompletions, "1");
        }
        int sessionCount = parseResult.GetValue(_sessions);
        bool pooledReads = parseResult.GetValue(_buffers) == "pooled";

        // Enough CmdSN window is the target's business; enough pooled commands and a command timeout that
        // a deep queue cannot trip on a slow target are ours.
        var sessions = new List<IScsiBlockIo>();
        try
        {
            var connects = Enumerable.Range(0, sessionCount).Select(_ => _paths.ConnectAsync(parseResult, target, cancellationToken)).ToArray();
            try
            {
                await Task.WhenAll(connects).ConfigureAwait(false);
            }
            finally
            {
                sessions.AddRange(connects.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            }

            var capacity = await sessions[0].ReadCapacityAsync(target.Lun, cancellationToken).ConfigureAwait(false);
            foreach (var session in sessions.Skip(1))
            {
                await session.ReadCapacityAsync(target.Lun, cancellationToken).ConfigureAwait(false);
            }

            var targets = sessions.ConvertAll(s => (IBenchTarget)new IscsiBenchTarget(s, target.Lun));
            // Connections per session the target granted (MC/S); a multipath session's paths each asked for --connections.
            int connections = sessions[0] is IscsiSession single ? single.ConnectionCount : target.Options.Connections;
            await RunAsync(parseResult, targets, capacity.BlockSize, capacity.BlockCount, pooledReads, connections, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await Task.WhenAll(sessions.Select(s => PathOptions.CloseAsync(s, _context.Error))).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// Over AoE: one device per --sessions (each its own socket and tags), completions on the receive thread;
    /// reads land in each worker's buffer (AoE copies from the frame anyway), so --buffers is fixed.
    /// </summary>
    private async Task<int> ExecuteAoeAsync(string spec, ParseResult parseResult, CancellationToken cancellationToken)
    {
        var settings = _options.Read(parseResult);
        int sessionCount = parseResult.GetValue(_sessions);
        var devices = new List<AoeDevice>();
        try
        {
            for (int i = 0; i < sessionCount; i++)
            {
                devices.Add(await AoeTargets.OpenAsync(spec, settings, cancellationToken, inlineCompletions: true).ConfigureAwait(false));
            }

            var targets = devices.ConvertAll(d => (IBenchTarget)new AoeBenchTarget(d));
            await RunAsync(parseResult, targets, AoeDevice.SectorSize, devices[0].SectorCount, pooledReads: false, connections: 1, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var device in devices)
            {
                await device.DisposeAsync().ConfigureAwait(false);
            }
        }

        return ExitCodes.Success;
    }

    private async Task RunAsync(ParseResult parseResult, List<IBenchTarget> targets, int blockSize, ulong blockCount, bool pooledReads, int connections, CancellationToken cancellationToken)
    {
        var pattern = parseResult.GetValue(_pattern);
        long ioBytes = parseResult.GetValue(_blockSize);
        int queueDepth = parseResult.GetValue(_queueDepth);
        var duration = TimeSpan.FromSeconds(parseResult.GetValue(_seconds));
        var rampTime = TimeSpan.FromSeconds(parseResult.GetValue(_rampTime));
        long? size = parseResult.GetValue(_size);
        if (ioBytes % blockSize != 0)
        {
            throw CliException.Usage($"--block-size {ioBytes} is not a multiple of the LUN's {blockSize}-byte blocks");
        }

        long lunBytes = checked((long)blockCount * blockSize);
        long region = Math.Min(size ?? lunBytes, lunBytes);
        if (region < ioBytes)
        {
            throw CliException.Usage($"the LUN (or --size) is smaller than one {ioBytes}-byte I/O");
        }

        var runner = new BenchRunner(targets, pattern, (int)ioBytes, blockSize, region, queueDepth, pooledReads);
        bool json = parseResult.GetValue(_json);
        // On a terminal a line each second; piped or with --json, only the report.
        Action<BenchInterval>? live = _context.OutputIsTerminal && !json ? interval => WriteLiveLine(interval, ioBytes) : null;
        var result = await runner.RunAsync(rampTime, duration, cancellationToken, live).ConfigureAwait(false);
        await ReportAsync(json, pattern, ioBytes, queueDepth, targets.Count, connections, pooledReads, result).ConfigureAwait(false);
    }

    private void WriteLiveLine(BenchInterval interval, long ioBytes)
    {
        double seconds = Math.Max(interval.Interval.TotalSeconds, 1e-6);
        double Us(long ticks) => LatencyHistogram.TicksToMicroseconds(ticks);
        _context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{interval.Elapsed.TotalSeconds,6:0.0} s  {interval.Ios / seconds,10:#,0} IOPS  {interval.Ios * ioBytes / seconds / 1e6,9:#,0.0} MB/s  p50 {Us(interval.P50Ticks),9:#,0.0} us  p99 {Us(interval.P99Ticks),9:#,0.0} us"));
        _context.Output.Flush();
    }

    private async Task ReportAsync(bool json, BenchPattern pattern, long ioBytes, int queueDepth, int sessions, int connections, bool pooledReads, BenchResult result)
    {
        var latency = result.Latency;
        double Us(double ticks) => Math.Round(LatencyHistogram.TicksToMicroseconds(ticks), 1);
        if (json)
        {
            await Output.WriteJsonAsync(_context, new BenchJson(
                BenchPatterns.Name(pattern), ioBytes, queueDepth, sessions, connections, pooledReads ? "pooled" : "fixed",
                Math.Round(result.Elapsed.TotalSeconds, 3), result.Ios, result.ReadIos, result.WriteIos,
                Math.Round(result.Iops, 1), Math.Round(result.MegabytesPerSecond, 2), Math.Round(result.MebibytesPerSecond, 2),
                new BenchLatencyJson(
                    Us(latency.Count == 0 ? 0 : latency.Min), Us(latency.Count == 0 ? 0 : latency.Sum / latency.Count),
                    Us(latency.Percentile(50)), Us(latency.Percentile(99)), Us(latency.Percentile(99.9)), Us(latency.Max)),
                new BenchCpuJson(Math.Round(result.UserCpuPercent, 1), Math.Round(result.SystemCpuPercent, 1), Math.Round(result.CpuMicrosecondsPerIo, 2))),
                CliOutputJsonContext.Default.BenchJson).ConfigureAwait(false);
            return;
        }

        var table = Output.Table(_context, "Metric", "Value");
        Output.AddRow(table, "Pattern", string.Create(CultureInfo.InvariantCulture,
            $"{BenchPatterns.Name(pattern)}, {Output.Size(ioBytes)} I/Os, queue depth {queueDepth} x {sessions} session(s) of {connections} connection(s), {(pooledReads ? "pooled" : "fixed")} buffers, {result.Elapsed.TotalSeconds:0.0} s"));
        Output.AddRow(table, "IOPS", Output.Number(result.Iops, "0"));
        if (pattern == BenchPattern.RandRw)
        {
            Output.AddRow(table, "  read / write IOPS", $"{Output.Number(result.ReadIos / result.Elapsed.TotalSeconds, "0")} / {Output.Number(result.WriteIos / result.Elapsed.TotalSeconds, "0")}");
        }

        Output.AddRow(table, "MB/s", $"{Output.Number(result.MegabytesPerSecond, "0.0")} ({Output.Number(result.MebibytesPerSecond, "0.0")} MiB/s)");
        Output.AddRow(table, "Latency p50", $"{Output.Number(Us(latency.Percentile(50)), "0.0")} us");
        Output.AddRow(table, "Latency p99", $"{Output.Number(Us(latency.Percentile(99)), "0.0")} us");
        Output.AddRow(table, "Latency p99.9", $"{Output.Number(Us(latency.Percentile(99.9)), "0.0")} us");
        Output.AddRow(table, "Latency min / mean / max", latency.Count == 0 ? "-" :
            $"{Output.Number(Us(latency.Min), "0.0")} / {Output.Number(Us(latency.Sum / latency.Count), "0.0")} / {Output.Number(Us(latency.Max), "0.0")} us");
        Output.AddRow(table, "CPU (this process)",
            $"usr {Output.Number(result.UserCpuPercent, "0.0")}%, sys {Output.Number(result.SystemCpuPercent, "0.0")}% of a core; {Output.Number(result.CpuMicrosecondsPerIo, "0.00")} us per I/O");
        var console = Output.Console(_context);
        console.Write(table);
        if (_context.OutputIsTerminal && latency.Count > 0)
        {
            // Where the latencies fell: one bar per power-of-two bucket of microseconds.
            var chart = new BarChart().Width(72).Label("Latency (I/Os per bucket, up to N us)");
            foreach (var (upTo, count) in latency.PowerOfTwoBuckets())
            {
                chart.AddItem(string.Create(CultureInfo.InvariantCulture, $"<= {upTo:#,0} us"), count, Color.Green);
            }

            console.Write(chart);
        }
    }
}
