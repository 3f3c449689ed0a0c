using System.Diagnostics;

namespace NetScsi.Messaging.Tests;

/// <summary>Real processes: <c>netscsi mpi run</c> launching ranks over TCP loopback.</summary>
public sealed class JobTests
{
    private static readonly string s_netscsi = Path.Combine(AppContext.BaseDirectory, "netscsi");

    private static async Task<(int ExitCode, string Output, string Error, TimeSpan Elapsed)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(s_netscsi) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        var clock = Stopwatch.StartNew();
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        return (process.ExitCode, await output, await error, clock.Elapsed);
    }

    [Fact]
    public async Task Jacobi_OnFourProcesses_PrintsTheSingleProcessGrid()
    {
        string jacobi = Path.Combine(AppContext.BaseDirectory, "Jacobi.dll");
        var one = await RunAsync("mpi", "run", "-n", "1", "--", "dotnet", jacobi, "64", "48", "1e-4", "400");
        var four = await RunAsync("mpi", "run", "-n", "4", "--", "dotnet", jacobi, "64", "48", "1e-4", "400");
        Assert.True(one.ExitCode == 0, one.Error);
        Assert.True(four.ExitCode == 0, four.Error);
        Assert.StartsWith("[0] jacobi 64x48 ranks=1 ", one.Output, StringComparison.Ordinal);
        Assert.StartsWith("[0] jacobi 64x48 ranks=4 ", four.Output, StringComparison.Ordinal);
        Assert.Equal(one.Output.Trim().Replace("ranks=1", "ranks=4", StringComparison.Ordinal), four.Output.Trim());
    }

    [Fact]
    public async Task ARankThatFails_StopsTheJob_WithItsExitCode_AndNamesIt()
    {
        var job = await RunAsync("mpi", "run", "-n", "3", "--", "sh", "-c", "if [ \"$NETSCSI_MPI_RANK\" = 1 ]; then exit 3; fi; sleep 60");
        Assert.Equal(3, job.ExitCode);
        Assert.Contains("rank 1 exited with code 3", job.Error, StringComparison.Ordinal);
        Assert.True(job.Elapsed < TimeSpan.FromSeconds(30), $"the job took {job.Elapsed}: the other ranks were not stopped");
    }

    [Fact]
    public async Task Run_GivesEachRankItsRankSizeAndEveryPeer()
    {
        var job = await RunAsync("mpi", "run", "-n", "2", "--", "sh", "-c", "echo $NETSCSI_MPI_RANK/$NETSCSI_MPI_SIZE $NETSCSI_MPI_PEERS");
        Assert.Equal(0, job.ExitCode);
        string[] lines = job.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("[0] 0/2 127.0.0.1:", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("[1] 1/2 127.0.0.1:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bench_Json_HasARowPerSize_WithLatencyAndBandwidth()
    {
        var bench = await RunAsync("mpi", "bench", "--min-size", "8", "--max-size", "64K", "--iterations-scale", "0.05", "--json");
        Assert.True(bench.ExitCode == 0, bench.Error);
        using var json = System.Text.Json.JsonDocument.Parse(bench.Output);
        var rows = json.RootElement.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(14, rows.Count);
        Assert.Equal(8, rows[0].GetProperty("size").GetInt64());
        Assert.All(rows, r => Assert.True(r.GetProperty("latency_us").GetDouble() > 0 && r.GetProperty("mb_per_s").GetDouble() > 0));
    }

    [Fact]
    public async Task BenchAllreduce_OnThreeRanks_ReportsAnAverageTimePerSize()
    {
        var bench = await RunAsync("mpi", "bench", "allreduce", "--ranks", "3", "--max-size", "16", "--iterations-scale", "0.01", "--json");
        Assert.True(bench.ExitCode == 0, bench.Error);
        using var json = System.Text.Json.JsonDocument.Parse(bench.Output);
        Assert.Equal(3, json.RootElement.GetProperty("ranks").GetInt32());
        var rows = json.RootElement.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal([8L, 16L], rows.Select(r => r.GetProperty("size").GetInt64()));
        Assert.All(rows, r => Assert.True(r.GetProperty("latency_us").GetDouble() > 0));
    }

    [Fact]
    public async Task Run_WithABadRankCount_ExitsTwo_WithOneLine()
    {
        var job = await RunAsync("mpi", "run", "-n", "0", "--", "true");
        Assert.Equal(2, job.ExitCode);
        Assert.Single(job.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
