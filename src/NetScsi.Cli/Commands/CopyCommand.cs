using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Copy;
using NetScsi.Cli.Initiator;
using NetScsi.Cli.Json.Output;
using NetScsi.Cli.Parsing;
using Spectre.Console;

namespace NetScsi.Cli.Commands;

/// <summary>
/// <c>netscsi copy SRC DST</c>: local file or block device ⇄ LUN or AoE device, or between two of those, with
/// sparse detection, optional verification, and a progress bar on a terminal.
/// </summary>
internal sealed class CopyCommand
{
    private readonly CliContext _context;
    private readonly InitiatorOptions _options;
    private readonly Argument<string> _source = new("source") { Description = "iscsi:// URL, NODE[/LUN], aoe://IFACE/SHELF.SLOT, or a local file or block device" };
    private readonly Argument<string> _destination = new("destination") { Description = "iscsi:// URL, NODE[/LUN], aoe://IFACE/SHELF.SLOT, or a local file (created or truncated) or block device" };
    private readonly Option<bool> _verify = new("--verify") { Description = "Read both sides back and compare; exit 6 on a difference" };
    private readonly Option<bool> _noSparse = new("--no-sparse") { Description = "Write zero ranges as data instead of WRITE SAME/UNMAP (or holes)" };
    private readonly Option<long> _chunkSize = new("--chunk-size")
    {
        Description = "Bytes per I/O [default: 1M]",
        HelpName = "SIZE",
        DefaultValueFactory = _ => 1024 * 1024,
        CustomParser = r => ByteSizeParser.TryParse(r.Tokens[^1].Value, out long v, out var e) && v is >= 4096 and <= 16 * 1024 * 1024 ? v : Fail(r, e ?? "--chunk-size must be 4K to 16M"),
    };

    private readonly Option<int> _queueDepth = new("--queue-depth") { Description = "Chunks in flight [default: 8]", HelpName = "N", DefaultValueFactory = _ => 8, CustomParser = r => NumberParser.Whole(r, "--queue-depth", 1, 256) };
    private readonly Option<bool> _json = new("--json") { Description = "Print the summary as JSON" };

    public CopyCommand(CliContext context)
    {
        _context = context;
        _options = new InitiatorOptions(context);
        Command = new Command("copy", "Copy between a local file/device and a LUN or AoE device, or between two of those (all-zero ranges become WRITE SAME/UNMAP on a LUN)")
        {
            _source, _destination, _verify, _noSparse, _chunkSize, _queueDepth, _json,
        };
        _options.AddTo(Command);
        Command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(context, () => ExecuteAsync(parseResult, cancellationToken), cancellationToken));
    }

    public Command Command { get; }

    private static long Fail(System.CommandLine.Parsing.ArgumentResult result, string error)
    {
        result.AddError(error);
        return 0;
    }

    /// <summary>
    /// URL (iscsi://, eth:// or aoe://) → LUN or AoE device; an existing node record (NAME or NAME/LUN) with no local
    /// file of that name → LUN; anything else is a local path.
    /// </summary>
    internal static bool IsLun(string spec, InitiatorSettings settings)
    {
        if (TargetResolver.IsUrl(spec))
        {
            return true;
        }

        if (File.Exists(spec) || Directory.Exists(spec))
        {
            return false;
        }

        int slash = spec.LastIndexOf('/');
        string name = slash > 0 && spec[(slash + 1)..].All(char.IsAsciiDigit) && spec.Length > slash + 1 ? spec[..slash] : spec;
        return settings.Nodes.Exists(name);
    }

    private async Task<ICopyEndpoint> OpenAsync(string spec, InitiatorSettings settings, bool write, CancellationToken cancellationToken)
    {
        if (AoeTargets.IsAoe(spec))
        {
            return await AoeEndpoint.OpenAsync(spec, settings, cancellationToken).ConfigureAwait(false);
        }

        if (IsLun(spec, settings))
        {
            return await LunEndpoint.OpenAsync(TargetResolver.ResolveTarget(spec, settings), cancellationToken, _context.Error).ConfigureAwait(false);
        }

        return FileEndpoint.Open(spec, write);
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var settings = _options.Read(parseResult);
        string sourceSpec = parseResult.GetValue(_source)!;
        string destinationSpec = parseResult.GetValue(_destination)!;
        if (!IsLun(sourceSpec, settings) && !IsLun(destinationSpec, settings))
        {
            throw CliException.Usage("one side of the copy must be a LUN or an AoE device (an iscsi:// or aoe:// URL, or a node name); use cp for file to file");
        }

        // A malformed aoe:// URL on either side is a usage error before the other side is opened (or a file created).
        foreach (string spec in (string[])[sourceSpec, destinationSpec])
        {
            if (AoeTargets.IsAoe(spec))
            {
                AoeTargets.Parse(spec);
            }
        }

        await using var source = await OpenAsync(sourceSpec, settings, write: false, cancellationToken).ConfigureAwait(false);
        await using var destination = await OpenAsync(destinationSpec, settings, write: true, cancellationToken).ConfigureAwait(false);
        var engine = new CopyEngine(source, destination, (int)parseResult.GetValue(_chunkSize), parseResult.GetValue(_queueDepth), !parseResult.GetValue(_noSparse));
        bool verify = parseResult.GetValue(_verify);
        bool json = parseResult.GetValue(_json);

        CopyResult result;
        if (_context.OutputIsTerminal && !json)
        {
            result = await RunWithProgressBarAsync(engine, verify, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            result = await RunPlainAsync(engine, verify, json, cancellationToken).ConfigureAwait(false);
        }

        double seconds = Math.Max(result.Elapsed.TotalSeconds, 1e-6);
        if (json)
        {
            var byMethod = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (method, bytes) in result.ZeroBytesByMethod)
            {
                byMethod[MethodName(method)] = bytes;
            }

            await Output.WriteJsonAsync(_context, new CopyJson(
                source.Name, destination.Name, result.Bytes, result.DataBytes, result.ZeroBytes, byMethod,
                Math.Round(seconds, 3), Math.Round(result.Bytes / seconds / 1e6, 2), result.Verified),
                CliOutputJsonContext.Default.CopyJson).ConfigureAwait(false);
        }
        else
        {
            string zeros = result.ZeroBytesByMethod.Count == 0
                ? ""
                : "; zero ranges: " + string.Join(", ", result.ZeroBytesByMethod.Select(kv => $"{Output.Size(kv.Value)} by {MethodName(kv.Key)}"));
            await _context.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Copied {Output.Size(result.Bytes)} ({result.Bytes} bytes) in {seconds:0.00} s, {result.Bytes / seconds / 1e6:0.0} MB/s; {Output.Size(result.DataBytes)} written as data{zeros}{(result.Verified ? "; verified" : "")}")).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    private static string MethodName(ZeroMethod method) => method switch
    {
        ZeroMethod.WriteSameUnmap => "write_same_unmap",
        ZeroMethod.Unmap => "unmap",
        ZeroMethod.Hole => "hole",
        _ => "zero_data",
    };

    private async Task<CopyResult> RunWithProgressBarAsync(CopyEngine engine, bool verify, CancellationToken cancellationToken)
    {
        var console = Output.Console(_context);
        CopyResult? result = null;
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async progress =>
            {
                var copyTask = progress.AddTask("copy", maxValue: Math.Max(1, engine.Total));
                ProgressTask? verifyTask = verify ? progress.AddTask("verify", autoStart: false, maxValue: Math.Max(1, engine.Total)) : null;
                var run = engine.RunAsync(verify, cancellationToken);
                while (!run.IsCompleted)
                {
                    await Task.WhenAny(run, Task.Delay(100, CancellationToken.None)).ConfigureAwait(false);
                    if (engine.Phase == "verify" && verifyTask is not null)
                    {
                        copyTask.Value = copyTask.MaxValue;
                        copyTask.StopTask();
                        verifyTask.StartTask();
                        verifyTask.Value = engine.Progress;
                    }
                    else
                    {
                        copyTask.Value = engine.Progress;
                    }
                }

                result = await run.ConfigureAwait(false);
                copyTask.Value = copyTask.MaxValue;
                if (verifyTask is not null)
                {
                    verifyTask.Value = verifyTask.MaxValue;
                }
            }).ConfigureAwait(false);
        return result!;
    }

    private async Task<CopyResult> RunPlainAsync(CopyEngine engine, bool verify, bool json, CancellationToken cancellationToken)
    {
        // Not a terminal: a progress line every 5 s on stderr (stdout stays the summary), none for short copies.
        var run = engine.RunAsync(verify, cancellationToken);
        var stopwatch = Stopwatch.StartNew();
        while (!run.IsCompleted)
        {
            await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None)).ConfigureAwait(false);
            if (!run.IsCompleted && !json)
            {
                long done = engine.Progress;
                double rate = done / Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-6);
                string eta = rate > 0 ? $"{(engine.Total - done) / rate:0}s" : "?";
                await _context.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{engine.Phase}: {Output.Size(done)} of {Output.Size(engine.Total)} ({100.0 * done / Math.Max(1, engine.Total):0}%), {rate / 1e6:0.0} MB/s, ETA {eta}")).ConfigureAwait(false);
            }
        }

        return await run.ConfigureAwait(false);
    }
}
