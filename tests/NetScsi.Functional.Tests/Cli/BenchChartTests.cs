using System.Diagnostics;
using System.Xml.Linq;

namespace NetScsi.Functional.Tests.Cli;

/// <summary><c>bench/compare --chart</c>: bench/chart.py draws valid SVG with one bar group per workload and client.</summary>
public sealed class BenchChartTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("netscsi-chart-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task Chart_OfThreeRows_IsValidSvgWithThreeGroupsEachWithTwoBarsAndTheRatio()
    {
        string rows = Path.Combine(_work, "rows.tsv");
        string svg = Path.Combine(_work, "chart.svg");
        await File.WriteAllTextAsync(rows,
            "randread-4k-32\tnetscsi\ttgt 1.0.85\t30000\t60000\tIOPS\n" +
            "read-64k-32\tiscsi-perf\ttgt 1.0.85\t900\t1350\tMB/s\n" +
            "write-64k-32\tiscsi-perf\ttgt 1.0.85\t800\t1000\tMB/s\n");

        var start = new ProcessStartInfo("python3") { RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot(), "bench", "chart.py"));
        start.ArgumentList.Add(rows);
        start.ArgumentList.Add(svg);
        using var process = Process.Start(start)!;
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, error);

        XNamespace ns = "http://www.w3.org/2000/svg";
        var document = XDocument.Load(svg);
        Assert.Equal(ns + "svg", document.Root!.Name);
        var groups = document.Descendants(ns + "g").Where(g => (string?)g.Attribute("class") == "workload").ToList();
        Assert.Equal(["randread-4k-32", "read-64k-32", "write-64k-32"], groups.Select(g => (string?)g.Attribute("data-workload")));
        Assert.All(groups, g => Assert.Equal(2, g.Elements(ns + "rect").Count()));
        Assert.Equal(["2.00x", "1.50x", "1.25x"], groups.Select(g => g.Elements(ns + "text").Last().Value));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NetScsi.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("NetScsi.slnx not found above " + AppContext.BaseDirectory);
    }
}
