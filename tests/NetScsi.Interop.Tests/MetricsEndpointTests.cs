using System.Globalization;
using System.Text.RegularExpressions;

namespace NetScsi.Interop.Tests;

/// <summary>
/// <c>--metrics</c>: Prometheus scrapes the target's per-LUN and per-target instruments over HTTP; QEMU's I/O moves them.
/// </summary>
public sealed partial class MetricsEndpointTests : IDisposable
{
    private const string Iqn = "iqn.2026-11.org.netscsi:metrics";
    private readonly string _work = Directory.CreateTempSubdirectory("netscsi-metrics-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task Scrape_AfterQemuWrites_CountsTheLunsCommandsBytesAndTheLogin()
    {
        int metricsPort = IInitiatorPeer.FreeTcpPort();
        await using var target = await NetScsiTargetProcess.StartAsync(_work,
            "--listen", "127.0.0.1:0", "--iqn", Iqn, "--lun", "memory:16M", "--log-level", "warning",
            "--metrics", $"127.0.0.1:{metricsPort}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var before = Parse(await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics"));
        Assert.Equal(0, Value(before, "netscsi_scsi_written_bytes", Iqn, "0"));

        (await ToolRunner.RunAsync("qemu-io", "-f", "raw", "-c", "write -P 0x5a 0 1M", "-c", "read -P 0x5a 0 1M",
            $"iscsi://127.0.0.1:{target.Port}/{Iqn}/0")).AssertSuccess();

        string text = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        var after = Parse(text);
        Assert.True(Value(after, "netscsi_scsi_written_bytes", Iqn, "0") >= 1 << 20, text);
        Assert.True(Value(after, "netscsi_scsi_read_bytes", Iqn, "0") >= 1 << 20, text);
        Assert.True(Value(after, "netscsi_scsi_commands", Iqn, "0") >= 2, text);
        Assert.True(Value(after, "netscsi_scsi_command_duration_seconds_count", Iqn, "0") >= 2, text);
        Assert.True(after.Any(s => s.Name == "netscsi_iscsi_logins" && s.Labels.Contains("result=\"Success\"", StringComparison.Ordinal) && s.Value >= 1), text);
    }

    private static double Value(List<Sample> samples, string name, string target, string lun) =>
        samples.Where(s => s.Name == name && s.Labels.Contains($"target=\"{target}\"", StringComparison.Ordinal) && s.Labels.Contains($"lun=\"{lun}\"", StringComparison.Ordinal))
            .Sum(s => s.Value);

    // The Prometheus text format: NAME{LABELS} VALUE, comments start with '#'.
    private static List<Sample> Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (string line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            Match m = SampleLine().Match(line);
            Assert.True(m.Success, $"not a Prometheus sample line: {line}");
            samples.Add(new Sample(m.Groups["name"].Value, m.Groups["labels"].Value, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }
        return samples;
    }

    private sealed record Sample(string Name, string Labels, double Value);

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[^ ]+)( [0-9]+)?$")]
    private static partial Regex SampleLine();
}
