namespace NetScsi.Interop.Tests;

/// <summary>Stopping the real target process with SIGTERM and starting it again on the same file.</summary>
public sealed class GracefulStopTests : IDisposable
{
    private const string Iqn = "iqn.2026-11.org.netscsi:restart";
    private static readonly TimeSpan IoTimeout = TimeSpan.FromSeconds(30);

    private readonly string _work = Directory.CreateTempSubdirectory("netscsi-interop-stop-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task GracefulStop_ExitsZeroAndKeepsData()
    {
        string file = Path.Combine(_work, "lun0.img");

        await using (var first = await NetScsiTargetProcess.StartAsync(_work,
            "--listen", "127.0.0.1:0", "--iqn", Iqn, "--lun", $"file:{file},size=64M", "--log-level", "warning"))
        {
            (await ToolRunner.RunAsync("qemu-io", IoTimeout, "-f", "raw",
                "-c", "write -P 0xc3 5M 1M",
                "-c", "write -P 0x3c 63M 1M",
                "-c", "read -P 0xc3 5M 1M",
                Url(first.Port))).AssertSuccess();

            await first.StopGracefullyAsync();
        }

        Assert.Equal(64L * 1024 * 1024, new FileInfo(file).Length);

        // No size= this time: a missing file would be an error, so this serves the existing one.
        await using var second = await NetScsiTargetProcess.StartAsync(_work,
            "--listen", "127.0.0.1:0", "--iqn", Iqn, "--lun", $"file:{file}", "--log-level", "warning");
        await second.AssertStdoutContainsAsync($"lun 0 file {file} size 64 MiB (67108864 bytes)");

        (await ToolRunner.RunAsync("qemu-io", IoTimeout, "-f", "raw",
            "-c", "read -P 0xc3 5M 1M",
            "-c", "read -P 0x3c 63M 1M",
            "-c", "read -P 0 0 5M",
            Url(second.Port))).AssertSuccess();

        await second.StopGracefullyAsync();
    }

    [Fact]
    public async Task GracefulStop_WithALoggedInInitiator_EndsTheSessionAndExitsZero()
    {
        string file = Path.Combine(_work, "lun0.img");
        await using var target = await NetScsiTargetProcess.StartAsync(_work,
            "--listen", "127.0.0.1:0", "--iqn", Iqn, "--lun", $"file:{file},size=16M", "--log-level", "warning");

        // qemu-io logs in, writes, then idles inside its session (`sleep` is in milliseconds) while the
        // target is told to stop.
        using var endInitiator = new CancellationTokenSource();
        Task<ToolResult> idleInitiator = ToolRunner.RunAsync("qemu-io", IoTimeout, endInitiator.Token, "-f", "raw",
            "-c", "write -P 0x11 0 64k", "-c", "sleep 20000", Url(target.Port));
        await WaitForFileContentAsync(file, 0x11, 64 * 1024, idleInitiator);

        await target.StopGracefullyAsync();

        // The target closed the initiator's connection: nothing is ESTABLISHED on its port any more.
        Assert.Empty(EstablishedConnections(target.Port));

        // libiscsi (under qemu) answers a dropped connection by reconnecting until it succeeds, so qemu-io
        // would now retry forever: that is the initiator's policy, not the target's, so end it here.
        await endInitiator.CancelAsync();
        var result = await idleInitiator;
        Assert.True(result.Stopped || result.ExitCode == 0, $"qemu-io failed\n{result.Describe()}");
    }

    private static string Url(int port) => $"iscsi://127.0.0.1:{port}/{Iqn}/0";

    /// <summary>Local-remote address pairs of ESTABLISHED IPv4 TCP sockets with <paramref name="port"/> at
    /// either end (from /proc/net/tcp, whose columns are: sl local rem st ...; st 01 = ESTABLISHED).</summary>
    private static List<string> EstablishedConnections(int port)
    {
        string suffix = $":{port:X4}";
        return File.ReadAllLines("/proc/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(c => c.Length > 3 && c[3] == "01" && (c[1].EndsWith(suffix, StringComparison.Ordinal) || c[2].EndsWith(suffix, StringComparison.Ordinal)))
            .Select(c => $"{c[1]} -> {c[2]}")
            .ToList();
    }

    /// <summary>Waits until the initiator's write reached the backing file: it is then logged in and in
    /// full-feature phase.</summary>
    private static async Task WaitForFileContentAsync(string file, byte pattern, int length, Task<ToolResult> initiator)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        byte[] buffer = new byte[length];
        while (DateTime.UtcNow < deadline)
        {
            if (initiator.IsCompleted)
            {
                var early = await initiator;
                Assert.Fail($"`{early.CommandLine}` ended (exit {early.ExitCode}) before the target was stopped\n{early.Describe()}");
            }

            // The target holds an exclusive (flock) lock on its backing file, which FileStream honours, so
            // read it with plain open/pread.
            if (LibC.ReadAt(file, buffer, 0) == length && buffer.AsSpan().IndexOfAnyExcept(pattern) < 0)
            {
                return;
            }
            await Task.Delay(50);
        }
        Assert.Fail($"the initiator's write did not reach {file} within 20 s");
    }
}
