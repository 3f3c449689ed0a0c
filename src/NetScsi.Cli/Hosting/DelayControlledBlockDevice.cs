using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using NetScsi.Scsi.Storage;

namespace NetScsi.Cli.Hosting;

/// <summary>
/// Test and diagnostic feature (LUN option <c>delay-control=PATH</c>, docs/config.md "Injecting delays"):
/// a <see cref="DelayBlockDevice"/> whose delays come from a control file that the target polls while it
/// runs, so a test outside the process (a shell script next to a VM) can make the LUN slow for a while,
/// e.g. to push one command past an initiator's SCSI timeout and watch its error handling.
/// </summary>
/// <remarks>
/// Control file: whitespace-separated words, <c>#</c> starts a comment. <c>read=MS</c> and <c>write=MS</c> set
/// the latency added to reads and writes started from then on; <c>ignore-abort</c> makes delayed I/O hold on
/// even when its task is aborted (storage that cannot be interrupted). A missing or empty file means no delay.
/// Write it atomically (write a temporary file, then rename it over the control file).
/// Each change is logged at warning level; each delayed I/O when it starts and finishes, or when task
/// management (ABORT TASK, LUN RESET, ...) stops it, which is how a test sees the aborts in the log.
/// </remarks>
internal sealed partial class DelayControlledBlockDevice : IBlockDevice
{
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(200);

    private readonly DelayBlockDevice _delay;
    private readonly int _lun;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _poller;
    private volatile bool _ignoreAbort;
    private string? _lastText = "";

    public DelayControlledBlockDevice(IBlockDevice inner, int lun, string controlPath, ILogger logger)
    {
        _delay = new DelayBlockDevice(inner);
        Inner = inner;
        _lun = lun;
        ControlPath = controlPath;
        _logger = logger;
        Refresh();
        _poller = PollAsync();
    }

    public string ControlPath { get; }

    /// <summary>The device the delays are put in front of.</summary>
    public IBlockDevice Inner { get; }

    public int BlockSize => _delay.BlockSize;

    public int PhysicalBlockSize => _delay.PhysicalBlockSize;

    public long BlockCount => _delay.BlockCount;

    public bool IsReadOnly => _delay.IsReadOnly;

    public bool SupportsUnmap => _delay.SupportsUnmap;

    public bool UnmappedReadsZero => _delay.UnmappedReadsZero;

    public string Identity => _delay.Identity;

    public ValueTask ReadAsync(long lba, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        TimeSpan delay = _delay.ReadDelay;
        return delay == TimeSpan.Zero
            ? _delay.ReadAsync(lba, buffer, cancellationToken)
            : DelayedAsync("read", lba, buffer.Length, delay, token => _delay.ReadAsync(lba, buffer, token), cancellationToken);
    }

    public ValueTask WriteAsync(long lba, ReadOnlyMemory<byte> buffer, bool forceUnitAccess, CancellationToken cancellationToken = default)
    {
        TimeSpan delay = _delay.WriteDelay;
        return delay == TimeSpan.Zero
            ? _delay.WriteAsync(lba, buffer, forceUnitAccess, cancellationToken)
            : DelayedAsync("write", lba, buffer.Length, delay, token => _delay.WriteAsync(lba, buffer, forceUnitAccess, token), cancellationToken);
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => _delay.FlushAsync(cancellationToken);

    public ValueTask UnmapAsync(long lba, long blockCount, CancellationToken cancellationToken = default) =>
        _delay.UnmapAsync(lba, blockCount, cancellationToken);

    public ValueTask<AllocationExtent> GetAllocationStatusAsync(long lba, CancellationToken cancellationToken = default) =>
        _delay.GetAllocationStatusAsync(lba, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _poller.ConfigureAwait(false);
        _stop.Dispose();
        await _delay.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Parses a control file's text; false with <paramref name="error"/> on a word it does not know.</summary>
    internal static bool TryParseControl(string text, out TimeSpan read, out TimeSpan write, out bool ignoreAbort, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        read = write = TimeSpan.Zero;
        ignoreAbort = false;
        foreach (var rawLine in text.Split('\n'))
        {
            int hash = rawLine.IndexOf('#', StringComparison.Ordinal);
            var line = hash < 0 ? rawLine : rawLine[..hash];
            foreach (var word in line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = word.IndexOf('=', StringComparison.Ordinal);
                var name = eq < 0 ? word : word[..eq];
                var value = eq < 0 ? null : word[(eq + 1)..];
                switch (name.ToLowerInvariant())
                {
                    case "read" when TryParseMilliseconds(value, out var ms):
                        read = ms;
                        break;
                    case "write" when TryParseMilliseconds(value, out var ms):
                        write = ms;
                        break;
                    case "ignore-abort" when value is null:
                        ignoreAbort = true;
                        break;
                    default:
                        error = $"'{word}' (expected read=MS, write=MS or ignore-abort)";
                        return false;
                }
            }
        }

        error = null;
        return true;
    }

    private static bool TryParseMilliseconds(string? text, out TimeSpan value)
    {
        bool ok = long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long ms) && ms <= (long)TimeSpan.FromDays(1).TotalMilliseconds;
        value = ok ? TimeSpan.FromMilliseconds(ms) : TimeSpan.Zero;
        return ok;
    }

    private async ValueTask DelayedAsync(string operation, long lba, int bytes, TimeSpan delay, Func<CancellationToken, ValueTask> io, CancellationToken cancellationToken)
    {
        bool ignoreAbort = _ignoreAbort;
        long blocks = bytes / BlockSize;
        long started = Stopwatch.GetTimestamp();
        LogHolding(_logger, _lun, operation, blocks, lba, (long)delay.TotalMilliseconds, ignoreAbort ? " (ignore-abort)" : "");
        try
        {
            await io(ignoreAbort ? CancellationToken.None : cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogStopped(_logger, _lun, operation, blocks, lba, Stopwatch.GetElapsedTime(started).TotalSeconds);
            throw;
        }

        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (cancellationToken.IsCancellationRequested)
        {
            LogFinishedAfterAbort(_logger, _lun, operation, blocks, lba, seconds);
        }
        else
        {
            LogFinished(_logger, _lun, operation, blocks, lba, seconds);
        }
    }

    private async Task PollAsync()
    {
        using var timer = new PeriodicTimer(s_pollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                Refresh();
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    private void Refresh()
    {
        string? text;
        try
        {
            text = File.Exists(ControlPath) ? File.ReadAllText(ControlPath) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return; // Being replaced; the next poll reads it.
        }

        if (text == _lastText)
        {
            return;
        }

        _lastText = text;
        if (!TryParseControl(text ?? "", out var read, out var write, out bool ignoreAbort, out var error))
        {
            LogBadControl(_logger, _lun, ControlPath, error);
            return;
        }

        _delay.ReadDelay = read;
        _delay.WriteDelay = write;
        _ignoreAbort = ignoreAbort;
        LogApplied(_logger, _lun, ControlPath, (long)read.TotalMilliseconds, (long)write.TotalMilliseconds, ignoreAbort ? ", ignore-abort" : "");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "LUN {Lun}: delay control {Path}: read {ReadMs} ms, write {WriteMs} ms{Flags}")]
    private static partial void LogApplied(ILogger logger, int lun, string path, long readMs, long writeMs, string flags);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LUN {Lun}: delay control {Path} ignored: {Error}")]
    private static partial void LogBadControl(ILogger logger, int lun, string path, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "LUN {Lun}: holding {Operation} of {Blocks} blocks at LBA {Lba} for {DelayMs} ms{Flags}")]
    private static partial void LogHolding(ILogger logger, int lun, string operation, long blocks, long lba, long delayMs, string flags);

    [LoggerMessage(Level = LogLevel.Information, Message = "LUN {Lun}: delayed {Operation} of {Blocks} blocks at LBA {Lba} finished after {Seconds:0.0} s")]
    private static partial void LogFinished(ILogger logger, int lun, string operation, long blocks, long lba, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LUN {Lun}: delayed {Operation} of {Blocks} blocks at LBA {Lba} stopped after {Seconds:0.0} s: its task was aborted (task management or session end)")]
    private static partial void LogStopped(ILogger logger, int lun, string operation, long blocks, long lba, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LUN {Lun}: delayed {Operation} of {Blocks} blocks at LBA {Lba} finished after {Seconds:0.0} s, after its task was aborted (ignore-abort)")]
    private static partial void LogFinishedAfterAbort(ILogger logger, int lun, string operation, long blocks, long lba, double seconds);
}
