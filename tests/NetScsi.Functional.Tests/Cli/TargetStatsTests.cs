using NetScsi.Cli.Stats;

namespace NetScsi.Functional.Tests.Cli;

/// <summary><c>netscsi target stats</c>: reading the Prometheus text and turning two scrapes into per-LUN rates.</summary>
public sealed class TargetStatsTests
{
    private const string First = """
        # HELP netscsi_scsi_commands SCSI commands completed
        # TYPE netscsi_scsi_commands gauge
        netscsi_scsi_commands{lun="0",target="iqn.2026-11.org.a:x"} 1000
        netscsi_scsi_read_bytes{lun="0",target="iqn.2026-11.org.a:x"} 4096000
        netscsi_scsi_written_bytes{lun="0",target="iqn.2026-11.org.a:x"} 0
        netscsi_scsi_errors{lun="0",sense_key="IllegalRequest",target="iqn.2026-11.org.a:x"} 1
        netscsi_scsi_command_duration_seconds_sum{lun="0",target="iqn.2026-11.org.a:x"} 0.1
        netscsi_scsi_command_duration_seconds_count{lun="0",target="iqn.2026-11.org.a:x"} 1000
        netscsi_iscsi_sessions{target="iqn.2026-11.org.a:x"} 2
        """;

    private const string Second = """
        netscsi_scsi_commands{lun="0",target="iqn.2026-11.org.a:x"} 3000
        netscsi_scsi_read_bytes{lun="0",target="iqn.2026-11.org.a:x"} 8192000
        netscsi_scsi_written_bytes{lun="0",target="iqn.2026-11.org.a:x"} 4096000
        netscsi_scsi_errors{lun="0",sense_key="IllegalRequest",target="iqn.2026-11.org.a:x"} 1
        netscsi_scsi_errors{lun="0",sense_key="MediumError",target="iqn.2026-11.org.a:x"} 4
        netscsi_scsi_command_duration_seconds_sum{lun="0",target="iqn.2026-11.org.a:x"} 0.3
        netscsi_scsi_command_duration_seconds_count{lun="0",target="iqn.2026-11.org.a:x"} 3000
        """;

    [Fact]
    public void Parse_ReadsNamesQuotedLabelsAndValues_AndSkipsComments()
    {
        var samples = PrometheusText.Parse("# TYPE x gauge\nx{a=\"1\",b=\"q\\\"uote\"} 2.5 1700000000\ny 3\n");

        Assert.Equal(2, samples.Count);
        Assert.Equal(("x", "1", "q\"uote", 2.5), (samples[0].Name, samples[0].Labels["a"], samples[0].Labels["b"], samples[0].Value));
        Assert.Equal(("y", 3.0), (samples[1].Name, samples[1].Value));
    }

    [Fact]
    public void Rates_BetweenTwoScrapesOneSecondApart_AreTheDeltasPerSecond()
    {
        long t0 = 0;
        long t1 = System.Diagnostics.Stopwatch.Frequency; // one second later
        var before = LunStatsSnapshot.From(PrometheusText.Parse(First), t0);
        var after = LunStatsSnapshot.From(PrometheusText.Parse(Second), t1);

        var rates = Assert.Single(LunRateCalculator.Between(before, after));

        Assert.Equal(("iqn.2026-11.org.a:x", 0), (rates.Target, rates.Lun));
        Assert.Equal(2000, rates.Iops, 3);
        Assert.Equal(4.096, rates.ReadMBps, 3);
        Assert.Equal(4.096, rates.WriteMBps, 3);
        Assert.Equal(100, rates.AverageLatencyUs, 3);   // 0.2 s over 2000 commands
        Assert.Equal(4, rates.ErrorsPerSecond, 3);       // errors summed over sense keys
        Assert.Equal(2, before.Sessions["iqn.2026-11.org.a:x"]);
    }
}
