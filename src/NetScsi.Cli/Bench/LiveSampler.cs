using System.Diagnostics;
using HdrHistogram;

namespace NetScsi.Cli.Bench;

/// <summary>One second (or so) of a running benchmark, as the live line shows it.</summary>
/// <param name="Elapsed">Time since the measurement began.</param>
/// <param name="Ios">I/Os completed in the interval.</param>
/// <param name="Interval">The interval's length.</param>
/// <param name="P50Ticks">Median latency of the interval's I/Os, in Stopwatch ticks (0 without I/Os).</param>
/// <param name="P99Ticks">99th percentile latency of the interval's I/Os, in Stopwatch ticks (0 without I/Os).</param>
internal readonly record struct BenchInterval(TimeSpan Elapsed, long Ios, TimeSpan Interval, long P50Ticks, long P99Ticks);

/// <summary>
/// The latencies of every worker in one HdrHistogram <see cref="Recorder"/> (thread-safe, wait-free recording that
/// allocates nothing), read once per interval for the live line. Only a terminal run has one: piped or with
/// <c>--json</c> the workers record into their own histograms alone.
/// </summary>
internal sealed class LiveSampler
{
    private readonly Recorder _recorder;
    private HistogramBase? _interval;
    private long _lastSample = Stopwatch.GetTimestamp();

    public LiveSampler(long highestTicks)
    {
        _recorder = HistogramFactory.With64BitBucketSize().WithValuesFrom(1).WithValuesUpTo(highestTicks).WithPrecisionOf(2)
            .WithThreadSafeWrites().WithThreadSafeReads().Create();
    }

    public void Record(long ticks) => _recorder.RecordValue(Math.Clamp(ticks, 1, LatencyHistogram.HighestTicks));

    /// <summary>Starts a new interval: what was recorded before is dropped (the ramp).</summary>
    public void Restart()
    {
        _recorder.Reset();
        _lastSample = Stopwatch.GetTimestamp();
    }

    /// <summary>The interval since the last sample; recycles one histogram, so one caller at a time.</summary>
    public BenchInterval Sample(TimeSpan elapsed)
    {
        long now = Stopwatch.GetTimestamp();
        _interval = _recorder.GetIntervalHistogram(_interval);
        var interval = Stopwatch.GetElapsedTime(_lastSample, now);
        _lastSample = now;
        long count = _interval.TotalCount;
        return new BenchInterval(elapsed, count, interval,
            count == 0 ? 0 : _interval.GetValueAtPercentile(50), count == 0 ? 0 : _interval.GetValueAtPercentile(99));
    }
}
