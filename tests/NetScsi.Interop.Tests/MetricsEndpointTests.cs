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

    [Fact]
    public async Task TargetStats_WhileQemuReads_PrintsARowForTheLunWithItsIops()
    {
        int metricsPort = IInitiatorPeer.FreeTcpPort();
        await using var target = await NetScsiTargetProcess.StartAsync(_work,
            "--listen", "127.0.0.1:0", "--iqn", Iqn, "--lun", "memory:64M", "--log-level", "warning",
            "--metrics", $"127.0.0.1:{metricsPort}");
        string dll = Path.Combine(AppContext.BaseDirectory, "netscsi.dll");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

        // About 3 s of reads, longer than the two half-second reports after the first scrape.
        string[] reads = Enumerable.Repeat(new[] { "-c", "read 0 64M" }, 12).SelectMany(a => a).ToArray();
        var load = ToolRunner.RunAsync("qemu-io", ["-f", "raw", .. reads, $"iscsi://127.0.0.1:{target.Port}/{Iqn}/0"]);
        var stats = (await ToolRunner.RunAsync(dotnet, "exec", dll, "target", "stats", "--metrics", $"127.0.0.1:{metricsPort}", "--interval", "0.5", "--count", "2")).AssertSuccess();
        (await load).AssertSuccess();

        string[] lines = stats.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^\s*target\s+lun\s+iops\s+read_MB/s\s+write_MB/s\s+lat_us\s+errors/s$", lines[0]);
        var rows = lines.Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal([Iqn, "0"], r[..2]));
        Assert.True(rows.Any(r => double.Parse(r[2], CultureInfo.InvariantCulture) > 0), stats.Describe());
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
