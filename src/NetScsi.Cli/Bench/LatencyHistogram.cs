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

    /// <summary>The longest latency recorded as itself (an hour); longer ones count as this.</summary>
    public static long HighestTicks => s_highest;

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

    /// <summary>
    /// The samples in power-of-two microsecond buckets (1, 2, 4, ... µs: each bucket holds what is above the previous
    /// bound and up to its own), from the first bucket with samples to the last; empty without samples.
    /// </summary>
    public IReadOnlyList<(double UpToMicroseconds, long Count)> PowerOfTwoBuckets()
    {
        var buckets = new List<(double, long)>();
        int first = int.MaxValue, last = -1;
        var counts = new long[64];
        foreach (var value in _histogram.RecordedValues())
        {
            double us = TicksToMicroseconds(value.ValueIteratedTo);
            int bucket = us <= 1 ? 0 : (int)Math.Ceiling(Math.Log2(us));
            bucket = Math.Min(bucket, counts.Length - 1);
            counts[bucket] += value.CountAddedInThisIterationStep;
            first = Math.Min(first, bucket);
            last = Math.Max(last, bucket);
        }

        for (int bucket = first; bucket <= last; bucket++)
        {
            buckets.Add((Math.Pow(2, bucket), counts[bucket]));
        }

        return buckets;
    }

    public static double TicksToMicroseconds(double ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
}
