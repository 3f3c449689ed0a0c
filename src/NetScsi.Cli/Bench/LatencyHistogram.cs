using System.Diagnostics;
using HdrHistogram;

namespace NetScsi.Cli.Bench;

/// <summary>
/// Per-I/O latency in Stopwatch ticks, over HdrHistogram (two significant digits: within 1 %, up to an hour).
/// One per worker, so recording takes no lock; recording allocates nothing. Workers' histograms are added
/// together at the end.
/// </summary>
internal sealed class LatencyHistogram
{
    private static readonly long s_highest = Stopwatch.Frequency * 3600;

    private readonly LongHistogram _histogram = new(s_highest, 2);

    public long Count => _histogram.TotalCount;

    public long Min { get; private set; } = long.MaxValue;

    public long Max { get; private set; }

    public double Sum { get; private set; }

    public void Record(long ticks)
    {
        ticks = Math.Clamp(ticks, 1, s_highest);
        _histogram.RecordValue(ticks);
        Sum += ticks;
        Min = Math.Min(Min, ticks);
        Max = Math.Max(Max, ticks);
    }

    public void Add(LatencyHistogram other)
    {
        _histogram.Add(other._histogram);
        Sum += other.Sum;
        Min = Math.Min(Min, other.Min);
        Max = Math.Max(Max, other.Max);
    }

    /// <summary>The value (ticks) at or below which <paramref name="percentile"/> % of the samples fall.</summary>
    public double Percentile(double percentile) =>
        Count == 0 ? 0 : Math.Clamp(_histogram.GetValueAtPercentile(percentile), Min, Max);

    public static double TicksToMicroseconds(double ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
}
