using System.Diagnostics;
using System.Numerics;

namespace NetScsi.Cli.Bench;

/// <summary>
/// Log-linear latency histogram over Stopwatch ticks: values below 32 have their own bucket, above
/// that every power of two is split into 16 equal buckets (≤ 6.25 % relative error). Fixed size,
/// so recording is an index computation and an increment: no allocation, no lock (one per worker).
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 5;
    private const int SubBuckets = 1 << SubBucketBits;   // 32
    private const int HalfSubBuckets = SubBuckets / 2;   // 16
    private const int BucketCount = (64 - SubBucketBits + 1) * HalfSubBuckets + SubBuckets;

    private readonly long[] _counts = new long[BucketCount];

    public long Count { get; private set; }

    public long Min { get; private set; } = long.MaxValue;

    public long Max { get; private set; }

    public double Sum { get; private set; }

    public void Record(long ticks)
    {
        if (ticks < 0)
        {
            ticks = 0;
        }

        _counts[Index(ticks)]++;
        Count++;
        Sum += ticks;
        if (ticks < Min)
        {
            Min = ticks;
        }

        if (ticks > Max)
        {
            Max = ticks;
        }
    }

    public void Add(LatencyHistogram other)
    {
        for (int i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        Sum += other.Sum;
        Min = Math.Min(Min, other.Min);
        Max = Math.Max(Max, other.Max);
    }

    /// <summary>The value (ticks) at or below which <paramref name="percentile"/> % of the samples fall (bucket midpoint).</summary>
    public double Percentile(double percentile)
    {
        if (Count == 0)
        {
            return 0;
        }

        long rank = Math.Max(1, (long)Math.Ceiling(percentile / 100.0 * Count));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                (long low, long width) = Bounds(i);
                double mid = low + ((width - 1) / 2.0);
                return Math.Clamp(mid, Min, Max);
            }
        }

        return Max;
    }

    public static double TicksToMicroseconds(double ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;

    internal static int Index(long value)
    {
        if (value < SubBuckets)
        {
            return (int)value;
        }

        int msb = 63 - BitOperations.LeadingZeroCount((ulong)value);
        int exponent = msb - SubBucketBits + 1;
        int mantissa = (int)(value >> exponent); // in [16, 32)
        return (exponent * HalfSubBuckets) + mantissa;
    }

    internal static (long Low, long Width) Bounds(int index)
    {
        if (index < SubBuckets)
        {
            return (index, 1);
        }

        int exponent = (index / HalfSubBuckets) - 1;
        int mantissa = index - (exponent * HalfSubBuckets);
        return ((long)mantissa << exponent, 1L << exponent);
    }
}
