using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace NetScsi.Scsi.Metrics;

/// <summary>
/// What one logical unit of one target records per command. The tags are built once here, and the counters are this
/// object's own totals (read by <see cref="ScsiMeter"/>'s observable counters when a listener collects), so recording
/// allocates nothing and costs a few atomic adds and one duration measurement; with no listener subscribed a command
/// costs one flag test.
/// </summary>
public sealed class LunMetrics
{
    /// <summary>The totals kept per LUN.</summary>
    internal enum Counter
    {
        Commands,
        ReadBytes,
        WrittenBytes,
        Busy,
    }

    // Every live LunMetrics, for the observable counters; entries go with their LunMetrics (a LUN removed by a reload).
    private static readonly ConditionalWeakTable<LunMetrics, object?> s_all = new();

    private readonly KeyValuePair<string, object?>[] _tags;
    private readonly KeyValuePair<string, object?>[][] _errorTags;
    private readonly long[] _counters = new long[4];
    private readonly long[] _errors = new long[16];

    /// <param name="target">The target's name (for iSCSI its IQN).</param>
    /// <param name="lun">The LUN number.</param>
    public LunMetrics(string target, int lun)
    {
        ArgumentNullException.ThrowIfNull(target);
        string lunText = lun.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _tags = [new("target", target), new("lun", lunText)];
        _errorTags = new KeyValuePair<string, object?>[16][];
        for (int key = 0; key < _errorTags.Length; key++)
        {
            string name = Enum.IsDefined((SenseKey)key) ? ((SenseKey)key).ToString() : $"0x{key:X}";
            _errorTags[key] = [new("target", target), new("lun", lunText), new("sense_key", name)];
        }

        s_all.AddOrUpdate(this, null);
    }

    /// <summary>Whether any listener records commands (when not, the caller need not even find its <see cref="LunMetrics"/>).</summary>
    public static bool Recording => ScsiMeter.Commands.Enabled || ScsiMeter.Duration.Enabled;

    /// <summary>A timestamp to pass to <see cref="Complete"/>; 0 when nobody measures durations.</summary>
    public static long Start() => ScsiMeter.Duration.Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Records a finished command: its count, bytes, duration since <paramref name="started"/>, and its error.</summary>
    public void Complete(ScsiTask task, long started)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (started != 0)
        {
            ScsiMeter.Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, _tags);
        }
        if (!ScsiMeter.Commands.Enabled)
        {
            return;
        }
        Interlocked.Increment(ref _counters[(int)Counter.Commands]);
        switch (task.Status)
        {
            case ScsiStatus.Good:
                if (task.DataInLength > 0)
                {
                    Interlocked.Add(ref _counters[(int)Counter.ReadBytes], task.DataInLength);
                }
                if ((task.Direction & DataDirection.Write) != 0 && task.ExpectedDataTransferLength > 0)
                {
                    Interlocked.Add(ref _counters[(int)Counter.WrittenBytes], task.ExpectedDataTransferLength);
                }
                break;
            case ScsiStatus.CheckCondition:
                if (SenseData.TryParse(task.Sense, out SenseKey key, out _, out _))
                {
                    Interlocked.Increment(ref _errors[(int)key & 0xF]);
                }
                break;
            case ScsiStatus.Busy:
            case ScsiStatus.TaskSetFull:
                Interlocked.Increment(ref _counters[(int)Counter.Busy]);
                break;
        }
    }

    /// <summary>Every LUN's total of <paramref name="counter"/>, when a listener collects.</summary>
    internal static IEnumerable<Measurement<long>> Observe(Counter counter)
    {
        var measurements = new List<Measurement<long>>();
        foreach (var (metrics, _) in s_all)
        {
            // A series appears with its first count, as it did when every command was a measurement.
            long total = Volatile.Read(ref metrics._counters[(int)counter]);
            if (total != 0)
            {
                measurements.Add(new Measurement<long>(total, metrics._tags));
            }
        }
        return measurements;
    }

    /// <summary>Every LUN's errors by sense key (the keys seen so far), when a listener collects.</summary>
    internal static IEnumerable<Measurement<long>> ObserveErrors()
    {
        var measurements = new List<Measurement<long>>();
        foreach (var (metrics, _) in s_all)
        {
            for (int key = 0; key < metrics._errors.Length; key++)
            {
                long n = Volatile.Read(ref metrics._errors[key]);
                if (n != 0)
                {
                    measurements.Add(new Measurement<long>(n, metrics._errorTags[key]));
                }
            }
        }
        return measurements;
    }
}
