namespace NetScsi.Cli.Stats;

/// <summary>The running totals of one LUN at one scrape.</summary>
internal readonly record struct LunTotals(double Commands, double ReadBytes, double WrittenBytes, double Errors, double DurationSum, double DurationCount);

/// <summary>What one scrape of a target's <c>/metrics</c> says, by (target, LUN), plus sessions per target.</summary>
internal sealed class LunStatsSnapshot
{
    private LunStatsSnapshot(SortedDictionary<(string Target, int Lun), LunTotals> luns, Dictionary<string, double> sessions, long timestamp)
    {
        Luns = luns;
        Sessions = sessions;
        Timestamp = timestamp;
    }

    public SortedDictionary<(string Target, int Lun), LunTotals> Luns { get; }

    public Dictionary<string, double> Sessions { get; }

    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp of the scrape.</summary>
    public long Timestamp { get; }

    public static LunStatsSnapshot From(IEnumerable<PrometheusSample> samples, long timestamp)
    {
        var luns = new SortedDictionary<(string, int), LunTotals>();
        var sessions = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var s in samples)
        {
            if (s.Name == "netscsi_iscsi_sessions" && s.Labels.TryGetValue("target", out var t))
            {
                sessions[t] = s.Value;
                continue;
            }
            if (!s.Labels.TryGetValue("target", out var target) || !s.Labels.TryGetValue("lun", out var lunText)
                || !int.TryParse(lunText, System.Globalization.CultureInfo.InvariantCulture, out int lun))
            {
                continue;
            }
            var key = (target, lun);
            var totals = luns.GetValueOrDefault(key);
            totals = s.Name switch
            {
                "netscsi_scsi_commands" => totals with { Commands = s.Value },
                "netscsi_scsi_read_bytes" => totals with { ReadBytes = s.Value },
                "netscsi_scsi_written_bytes" => totals with { WrittenBytes = s.Value },
                "netscsi_scsi_errors" => totals with { Errors = totals.Errors + s.Value },
                "netscsi_scsi_command_duration_seconds_sum" => totals with { DurationSum = s.Value },
                "netscsi_scsi_command_duration_seconds_count" => totals with { DurationCount = s.Value },
                _ => totals,
            };
            luns[key] = totals;
        }
        return new LunStatsSnapshot(luns, sessions, timestamp);
    }
}

/// <summary>One LUN's rates between two scrapes.</summary>
internal readonly record struct LunRates(string Target, int Lun, double Iops, double ReadMBps, double WriteMBps, double AverageLatencyUs, double ErrorsPerSecond);

internal static class LunRateCalculator
{
    public static List<LunRates> Between(LunStatsSnapshot before, LunStatsSnapshot after)
    {
        double seconds = Math.Max(System.Diagnostics.Stopwatch.GetElapsedTime(before.Timestamp, after.Timestamp).TotalSeconds, 1e-6);
        var rates = new List<LunRates>();
        foreach (var (key, now) in after.Luns)
        {
            var then = before.Luns.GetValueOrDefault(key);
            double commands = Math.Max(0, now.Commands - then.Commands);
            double durationCount = now.DurationCount - then.DurationCount;
            rates.Add(new LunRates(
                key.Target,
                key.Lun,
                commands / seconds,
                Math.Max(0, now.ReadBytes - then.ReadBytes) / seconds / 1e6,
                Math.Max(0, now.WrittenBytes - then.WrittenBytes) / seconds / 1e6,
                durationCount > 0 ? (now.DurationSum - then.DurationSum) / durationCount * 1e6 : 0,
                Math.Max(0, now.Errors - then.Errors) / seconds));
        }
        return rates;
    }
}
