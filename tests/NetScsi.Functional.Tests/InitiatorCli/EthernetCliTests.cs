using System.Diagnostics;

using NetScsi.Functional.Tests.Support;

namespace NetScsi.Functional.Tests.InitiatorCli;

/// <summary>
/// The netscsi command over raw Ethernet between two network namespaces joined by a veth pair that each test makes
/// and removes (root, as in CI): the target serves a memory LUN on <c>eth:IFACE</c> in one namespace, the
/// initiator commands in the other write and read it back through <c>eth://IFACE/MAC/IQN/LUN</c>.
/// </summary>
public sealed class EthernetCliTests(Xunit.Abstractions.ITestOutputHelper log)
{
    private const string Iqn = "iqn.2026-12.org.netscsi:eth-cli";
    private static int s_next;

    [Theory]
    [InlineData(1500, 4096)]
    [InlineData(9000, 1024 * 1024)]
    [InlineData(65535, 1024 * 1024)]
    public async Task WriteThenRead_OverEthernetBetweenNamespaces_ReturnsTheSameBytes(int mtu, int length)
    {
        using var net = Namespaces.Create(mtu);
        await using var target = await TargetProcess.StartAsync(net, "--lun", "memory:16M");
        string url = $"eth://{net.InitiatorInterface}/{net.TargetMac}/{Iqn}/0";
        string dir = Directory.CreateTempSubdirectory("netscsi-eth-").FullName;
        try
        {
            byte[] data = new byte[length];
            new Random(length + mtu).NextBytes(data);
            string input = Path.Combine(dir, "in.bin");
            string output = Path.Combine(dir, "out.bin");
            await File.WriteAllBytesAsync(input, data);

            Ok(await net.RunInitiatorAsync("write", url, "--lba", "8", "-i", input));
            Ok(await net.RunInitiatorAsync("read", url, "--lba", "8", "--blocks", (length / 512).ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", output));
            Assert.Equal(data, await File.ReadAllBytesAsync(output));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Chap_OverEthernet_LogsInWithTheRightSecret_AndRefusesAWrongOne()
    {
        using var net = Namespaces.Create(9000);
        await using var target = await TargetProcess.StartAsync(net, "--lun", "memory:4M", "--chap", "ethuser:eth-secret-123456");
        string good = $"eth://ethuser%eth-secret-123456@{net.InitiatorInterface}/{net.TargetMac}/{Iqn}/0";
        string bad = $"eth://ethuser%wrong-secret-12345@{net.InitiatorInterface}/{net.TargetMac}/{Iqn}/0";
        var ok = await net.RunInitiatorAsync("capacity", good);
        Ok(ok);
        Assert.Contains("4 MiB", ok.Output);
        var refused = await net.RunInitiatorAsync("capacity", bad);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("authentication", refused.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Discovery_OnTheSegment_FindsTheTarget_AndAUrlWithoutMacReachesIt()
    {
        using var net = Namespaces.Create(9000);
        var none = await net.RunInitiatorAsync("discover", $"eth:{net.InitiatorInterface}");
        Assert.Equal(3, none.ExitCode);
        Assert.Contains("no target answers discovery", none.Error);

        await using var target = await TargetProcess.StartAsync(net, "--lun", "memory:2M");
        var found = await net.RunInitiatorAsync("discover", $"eth:{net.InitiatorInterface}", "--json");
        Ok(found);
        Assert.Contains(Iqn, found.Output);
        Assert.Contains(net.TargetMac, found.Output);
        var capacity = await net.RunInitiatorAsync("capacity", $"eth://{net.InitiatorInterface}/{Iqn}/0");
        Ok(capacity);
        Assert.Contains("2 MiB", capacity.Output);
    }

    [Fact]
    public async Task Connect_ToAMacWhereNothingListens_FailsWithOneMessage()
    {
        using var net = Namespaces.Create(1500);
        var run = await net.RunInitiatorAsync("capacity", $"eth://{net.InitiatorInterface}/{net.TargetMac}/{Iqn}/0", "--timeout", "3s");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("netscsi: error:", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Fact]
    public async Task Serve_OnAMissingInterface_SaysWhichOne()
    {
        using var net = Namespaces.Create(1500);
        var run = await net.RunAsync(net.TargetNamespace, "target", "serve", "--listen", "eth:nse-nothere", "--lun", "memory:1M", "--iqn", Iqn);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("nse-nothere", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Fact]
    public async Task Serve_WithoutCapNetRaw_SaysRootOrCapNetRawIsNeeded()
    {
        using var net = Namespaces.Create(1500);
        var run = await net.RunAsync(
            net.TargetNamespace,
            ["target", "serve", "--listen", $"eth:{net.TargetInterface}", "--lun", "memory:1M", "--iqn", Iqn],
            ["setpriv", "--bounding-set=-net_raw", "--inh-caps=-all", "--reuid=65534", "--regid=65534", "--clear-groups"]);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("needs root or the CAP_NET_RAW capability", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Theory]
    [InlineData("drop 1%", "dropped", new[] { "--drop", "0.01" })]
    [InlineData("drop 5%", "dropped", new[] { "--drop", "0.05" })]
    [InlineData("duplicates, reordering and delay jitter", "duplicated", new[] { "--duplicate", "0.03", "--reorder", "0.05", "--delay-ms", "0.2", "--jitter-ms", "2" })]
    [InlineData("a 2-second outage", "outage_dropped", new[] { "--outage-after", "300", "--outage-seconds", "2" })]
    public async Task ThroughAnImpairmentRelay_WritesAndReadsArriveByteForByte(string impairment, string counter, string[] relayArguments)
    {
        using var net = Namespaces.Create(9000, relay: true);
        await using var target = await TargetProcess.StartAsync(net, "--lun", "memory:16M");
        await using var relay = await RelayProcess.StartAsync(net, ["--seed", "7", .. relayArguments]);
        string url = $"eth://{net.InitiatorInterface}/{net.TargetMac}/{Iqn}/0";
        string dir = Directory.CreateTempSubdirectory("netscsi-eth-").FullName;
        try
        {
            byte[] data = new byte[4 << 20];
            new Random(impairment.Length).NextBytes(data);
            string input = Path.Combine(dir, "in.bin");
            string output = Path.Combine(dir, "out.bin");
            await File.WriteAllBytesAsync(input, data);

            Ok(await net.RunInitiatorAsync("write", url, "--lba", "16", "-i", input));
            Ok(await net.RunInitiatorAsync("read", url, "--lba", "16", "--blocks", (data.Length / 512).ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", output));

            byte[] back = await File.ReadAllBytesAsync(output);
            Assert.True(data.AsSpan().SequenceEqual(back), $"{impairment}: the data came back altered");
            var counters = await relay.StopAsync();
            Assert.True(counters.GetProperty(counter).GetInt64() > 0, $"{impairment}: the relay did not impair anything ({counters})");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task TargetKilledAndRestarted_MidWrite_TheInitiatorReinstatesTheSessionAndFinishes()
    {
        using var net = Namespaces.Create(9000);
        string dir = Directory.CreateTempSubdirectory("netscsi-eth-").FullName;
        string lun = Path.Combine(dir, "lun.img");
        try
        {
            var target = await TargetProcess.StartAsync(net, "--lun", $"file:{lun},size=512M");
            byte[] data = new byte[256 << 20];
            new Random(9).NextBytes(data);
            string input = Path.Combine(dir, "in.bin");
            string output = Path.Combine(dir, "out.bin");
            await File.WriteAllBytesAsync(input, data);
            string url = $"eth://{net.InitiatorInterface}/{net.TargetMac}/{Iqn}/0";

            Task<CommandResult> write = net.RunInitiatorAsync("write", url, "-i", input, "--timeout", "60s");
            // Killed once the first 8 MiB have landed in the LUN's file (the write goes in LBA order): mid-write by
            // what the target did, not by a clock that a fast or a loaded machine would beat.
            await WaitUntilWrittenAsync(lun, data, 8 << 20, write);
            Assert.False(write.IsCompleted, "the write finished before the kill: nothing was proven");
            await target.KillAsync();
            await Task.Delay(1000);
            target = await TargetProcess.StartAsync(net, "--lun", $"file:{lun}");
            await using (target)
            {
                Ok(await write);
                Ok(await net.RunInitiatorAsync("read", url, "--blocks", (data.Length / 512).ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", output));
                byte[] back = await File.ReadAllBytesAsync(output);
                Assert.True(data.AsSpan().SequenceEqual(back), "the data written across the restart came back altered");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(1500)]
    [InlineData(9000)]
    [InlineData(65535)]
    public async Task OverEthernet_MutualChapLogsIn_WriteSameAndUnmapZeroTheirRanges_AndATimedOutWriteIsAborted_AndTheTargetGoesOnServing(int mtu)
    {
        using var net = Namespaces.Create(mtu);
        string dir = Directory.CreateTempSubdirectory("netscsi-eth-").FullName;
        string control = Path.Combine(dir, "delay");
        try
        {
            await using var target = await TargetProcess.StartAsync(
                net, "--lun", $"memory:16M,sparse,delay-control={control}", "--chap", "ethuser:eth-secret-123456",
                "--mutual-chap", "ethtarget:eth-target-secret-654321", "--metrics", "127.0.0.1:9464", "--control-socket", Path.Combine(dir, "control.sock"));
            string url = $"eth://{net.InitiatorInterface}/{net.TargetMac}/{Iqn}/0";
            string[] chap = ["--chap", "ethuser:eth-secret-123456", "--mutual-chap", "ethtarget:eth-target-secret-654321"];
            string Blocks(long bytes) => (bytes / 512).ToString(System.Globalization.CultureInfo.InvariantCulture);

            // Mutual CHAP: the target proves itself with the right secret, and a wrong expected one fails the login.
            var capacity = await net.RunInitiatorAsync(["capacity", url, "--json", .. chap]);
            Ok(capacity);
            using (var reported = System.Text.Json.JsonDocument.Parse(capacity.Output))
            {
                Assert.True(reported.RootElement.GetProperty("write_same_unmap").GetBoolean(), capacity.Output);
            }

            var impostor = await net.RunInitiatorAsync("capacity", url, "--chap", "ethuser:eth-secret-123456", "--mutual-chap", "ethtarget:not-the-target-secret");
            Assert.Equal(4, impostor.ExitCode);
            Assert.Contains("mutual CHAP", impostor.Error, StringComparison.OrdinalIgnoreCase);

            // WRITE SAME(16) with UNMAP, by copy's zero runs: over 3 MiB of other data, a file of data, 1 MiB of
            // zeros, data. Reading back gives the file exactly: the zeros where WRITE SAME went, the data around it.
            byte[] before = new byte[3 << 20];
            new Random(mtu).NextBytes(before);
            byte[] file = new byte[3 << 20];
            new Random(mtu + 1).NextBytes(file);
            file.AsSpan(1 << 20, 1 << 20).Clear();
            string beforePath = Path.Combine(dir, "before.bin");
            string filePath = Path.Combine(dir, "file.bin");
            string output = Path.Combine(dir, "out.bin");
            await File.WriteAllBytesAsync(beforePath, before);
            await File.WriteAllBytesAsync(filePath, file);
            Ok(await net.RunInitiatorAsync(["write", url, "-i", beforePath, .. chap]));
            var copy = await net.RunInitiatorAsync(["copy", filePath, url, "--json", .. chap]);
            Ok(copy);
            using (var summary = System.Text.Json.JsonDocument.Parse(copy.Output))
            {
                var methods = summary.RootElement.GetProperty("zero_bytes_by_method");
                Assert.True(methods.TryGetProperty("write_same_unmap", out var zeroed) && zeroed.GetInt64() == 1 << 20, $"not zeroed by WRITE SAME: {copy.Output}");
            }

            Ok(await net.RunInitiatorAsync(["read", url, "--blocks", Blocks(file.Length), "-o", output, .. chap]));
            Assert.True(await FileHoldsAsync(output, file.AsMemory()), "after WRITE SAME the LUN does not hold the file");

            // UNMAP of the first 512 KiB (the LUN is thin and reports LBPRZ): it reads back as zeros, the rest as before.
            Ok(await net.RunInitiatorAsync(["unmap", url, "--lba", "0", "--blocks", Blocks(512 * 1024), .. chap]));
            file.AsSpan(0, 512 * 1024).Clear();
            Ok(await net.RunInitiatorAsync(["read", url, "--blocks", Blocks(file.Length), "-o", output, .. chap]));
            Assert.True(await FileHoldsAsync(output, file.AsMemory()), "after UNMAP the LUN does not hold zeros there and the file elsewhere");

            // An abort: the LUN holds the completion of writes (delay-control) and the initiator's --timeout runs
            // out: it sends ABORT TASK over the mover and the target ends the held task. (What the aborted write did
            // to its blocks is undefined, as for any aborted write: the delay comes after the data reached the LUN.)
            SetDelayControl(control, "write=600000");
            await target.WaitForLogAsync("write 600000 ms");
            byte[] aborted = new byte[64 * 1024];
            new Random(mtu + 2).NextBytes(aborted);
            string abortedPath = Path.Combine(dir, "aborted.bin");
            await File.WriteAllBytesAsync(abortedPath, aborted);
            var clock = Stopwatch.StartNew();
            var timedOut = await net.RunInitiatorAsync(["write", url, "--lba", "64", "-i", abortedPath, "--timeout", "2s", .. chap]);
            Assert.Equal(7, timedOut.ExitCode);
            Assert.Contains("it was aborted", timedOut.Error);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the aborted write took {clock.Elapsed}");
            await target.WaitForLogAsync("its task was aborted");
            Assert.True(Metric(await ScrapeAsync(net), "netscsi_iscsi_task_management", "function=\"AbortTask\"") >= 1, "no ABORT TASK reached the target");

            // The target goes on serving: with the hold lifted, other data written to the same blocks reads back.
            SetDelayControl(control, "");
            await target.WaitForLogAsync("write 0 ms");
            new Random(mtu + 3).NextBytes(aborted);
            await File.WriteAllBytesAsync(abortedPath, aborted);
            Ok(await net.RunInitiatorAsync(["write", url, "--lba", "64", "-i", abortedPath, .. chap]));
            Ok(await net.RunInitiatorAsync(["read", url, "--lba", "64", "--blocks", Blocks(aborted.Length), "-o", output, .. chap]));
            Assert.True(await FileHoldsAsync(output, aborted.AsMemory()), "the write after the abort came back altered");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task HostileFramesAndARandomFlood_FromTheInitiatorNamespace_AreDroppedAndCounted_AndTheTargetKeepsServing()
    {
        using var net = Namespaces.Create(1500);
        string dir = Directory.CreateTempSubdirectory("netscsi-eth-").FullName;
        try
        {
            await using var target = await TargetProcess.StartAsync(
                net, new Dictionary<string, string> { ["NETSCSI_ETH_STATS"] = "1" },
                "--lun", "memory:16M,sparse", "--metrics", "127.0.0.1:9464", "--control-socket", Path.Combine(dir, "control.sock"));
            string url = $"eth://{net.InitiatorInterface}/{net.TargetMac}/{Iqn}/0";
            byte[] data = new byte[1 << 20];
            new Random(14).NextBytes(data);
            string input = Path.Combine(dir, "in.bin");
            string output = Path.Combine(dir, "out.bin");
            await File.WriteAllBytesAsync(input, data);
            Ok(await net.RunInitiatorAsync("write", url, "-i", input));
            string metrics = await ScrapeAsync(net);
            double Dropped(string text, string reason) => Metric(text, "netscsi_ethernet_frames_dropped", $"interface=\"{net.TargetInterface}\"", $"reason=\"{reason}\"");
            (double malformed, double unknown, double wrongSource) = (Dropped(metrics, "malformed"), Dropped(metrics, "unknown_connection"), Dropped(metrics, "wrong_source"));
            long rssBefore = target.RssKiB();

            // A live session for the script to learn connection ids from, and to hold out while the frames land.
            Task<CommandResult> bench = net.RunInitiatorAsync("bench", url, "--rw", "randread", "--bs", "4k", "--iodepth", "4", "--seconds", "8", "--json");
            var hostile = await net.RunToolAsync(
                net.InitiatorNamespace, "python3", Path.Combine(AppContext.BaseDirectory, "InitiatorCli", "eth-hostile-frames.py"),
                net.InitiatorInterface, net.TargetMac, "--per-kind", "200", "--flood", "100000", "--seed", "5");
            Ok(hostile);
            var run = await bench;
            Ok(run);
            using (var report = System.Text.Json.JsonDocument.Parse(run.Output))
            {
                Assert.True(report.RootElement.GetProperty("ios").GetInt64() > 0, $"the bench under attack did no I/O: {run.Output}");
            }

            using var sentReport = System.Text.Json.JsonDocument.Parse(hostile.Output);
            var sent = sentReport.RootElement.GetProperty("sent");
            long Sent(params string[] kinds) => kinds.Sum(k => sent.GetProperty(k).GetInt64());

            // Still serving, and correctly: a new session's write and read of 1 MiB.
            new Random(15).NextBytes(data);
            await File.WriteAllBytesAsync(input, data);
            Ok(await net.RunInitiatorAsync("write", url, "--lba", "4096", "-i", input));
            Ok(await net.RunInitiatorAsync("read", url, "--lba", "4096", "--blocks", "2048", "-o", output));
            Assert.True(await FileHoldsAsync(output, data.AsMemory()), "after the hostile frames a write came back altered");

            long rssAfter = target.RssKiB();
            metrics = await ScrapeAsync(net);
            double malformedAdded = Dropped(metrics, "malformed") - malformed;
            Assert.True(Dropped(metrics, "unknown_connection") - unknown >= Sent("wrong_connection"), $"unknown connection ids not counted: {metrics}");
            Assert.True(Dropped(metrics, "wrong_source") - wrongSource >= Sent("spoofed_source", "wrong_source_id"), $"spoofed sources not counted: {metrics}");
            Assert.True(malformedAdded >= Sent("truncated", "bad_version", "bad_flags", "oversize", "group_source"), $"malformed frames not counted: {metrics}");
            // The flood's random bytes are malformed but for a few in 256 (version 1): most of them must be counted
            // too (the kernel may drop some of 100 000 before the target reads them).
            Assert.True(malformedAdded >= Sent("truncated", "bad_version", "bad_flags", "oversize", "group_source") + (Sent("flood") / 2), $"the flood was not counted ({malformedAdded} malformed): {metrics}");
            // Frames for the live connection far outside its window: the connection drops and counts them (its
            // counters go to stderr, NETSCSI_ETH_STATS=1, when it ends).
            await target.WaitForLogAsync(" outside ");
            long outside = System.Text.RegularExpressions.Regex.Matches(target.Log, @" outside (\d+) ").Max(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(outside >= Sent("out_of_window"), $"the out-of-window frames were not counted: {target.Log}");
            log.WriteLine($"sent {sent}; dropped since the start: malformed {malformedAdded}, unknown_connection {Dropped(metrics, "unknown_connection") - unknown}, wrong_source {Dropped(metrics, "wrong_source") - wrongSource}; outside the window {outside}; RSS {rssBefore} -> {rssAfter} KiB");
            Assert.True(rssAfter - rssBefore < 64 * 1024, $"the target's RSS grew from {rssBefore} KiB to {rssAfter} KiB over {Sent("flood")} random frames");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Waits until the 4 KiB before offset <paramref name="upTo"/> of <paramref name="data"/> are in the file.</summary>
    private static async Task WaitUntilWrittenAsync(string path, byte[] data, int upTo, Task writer)
    {
        // Read by dd: the target holds .NET's advisory lock on its LUN file, which a FileStream here would respect.
        var expected = data.AsMemory(upTo - 4096, 4096);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!writer.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "the write never reached the LUN's file");
            var start = new ProcessStartInfo("dd") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in (string[])[$"if={path}", "bs=4096", $"skip={(upTo / 4096) - 1}", "count=1", "status=none"])
            {
                start.ArgumentList.Add(a);
            }
            using (Process dd = Process.Start(start)!)
            {
                var probe = new MemoryStream();
                await dd.StandardOutput.BaseStream.CopyToAsync(probe);
                await dd.WaitForExitAsync();
                if (probe.Length == 4096 && probe.GetBuffer().AsSpan(0, 4096).SequenceEqual(expected.Span))
                {
                    return;
                }
            }
            await Task.Delay(5);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private static void Ok(CommandResult run) =>
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Error}");

    private static async Task<bool> FileHoldsAsync(string path, ReadOnlyMemory<byte> expected)
    {
        byte[] actual = await File.ReadAllBytesAsync(path);
        return expected.Span.SequenceEqual(actual);
    }

    private static int Occurrences(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>The sum of the samples of <paramref name="name"/> whose labels include every one of <paramref name="labels"/>.</summary>
    private static double Metric(string exposition, string name, params string[] labels)
    {
        double sum = 0;
        foreach (string line in exposition.Split('\n'))
        {
            if (line.StartsWith(name + "{", StringComparison.Ordinal) && labels.All(l => line.Contains(l, StringComparison.Ordinal)))
            {
                sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    /// <summary>The target's <c>--metrics 127.0.0.1:9464</c> endpoint, read from inside its namespace.</summary>
    private static async Task<string> ScrapeAsync(Namespaces net)
    {
        var run = await net.RunToolAsync(net.TargetNamespace, "python3", "-c",
            "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:9464/metrics', timeout=10).read().decode())");
        Ok(run);
        return run.Output;
    }

    /// <summary>Writes the delay-control file in one step (a rename), so the target never reads half of it.</summary>
    private static void SetDelayControl(string path, string text)
    {
        File.WriteAllText(path + ".new", text);
        File.Move(path + ".new", path, overwrite: true);
    }

    internal sealed record CommandResult(int ExitCode, string Output, string Error);

    /// <summary>
    /// Two namespaces joined by a veth pair, or (with a relay) by two veth pairs through a third namespace where
    /// <see cref="RelayProcess"/> bridges them; removed on dispose.
    /// </summary>
    private sealed class Namespaces : IDisposable
    {
        private Namespaces(string tag)
        {
            TargetNamespace = $"netscsi-{tag}-t";
            InitiatorNamespace = $"netscsi-{tag}-i";
            RelayNamespace = $"netscsi-{tag}-r";
            TargetInterface = $"nse{tag}t";
            InitiatorInterface = $"nse{tag}i";
            RelayInterfaces = ($"nse{tag}a", $"nse{tag}b");
        }

        public string RelayNamespace { get; }
        public (string TargetSide, string InitiatorSide) RelayInterfaces { get; }

        public string TargetNamespace { get; }
        public string InitiatorNamespace { get; }
        public string TargetInterface { get; }
        public string InitiatorInterface { get; }
        public string TargetMac { get; private set; } = "";

        public static Namespaces Create(int mtu, bool relay = false)
        {
            var net = new Namespaces($"{Environment.ProcessId % 10000}n{Interlocked.Increment(ref s_next)}");
            try
            {
                IpCommand.Run($"netns add {net.TargetNamespace}");
                IpCommand.Run($"netns add {net.InitiatorNamespace}");
                if (relay)
                {
                    (string a, string b) = net.RelayInterfaces;
                    IpCommand.Run($"netns add {net.RelayNamespace}");
                    IpCommand.Run($"link add {net.TargetInterface} mtu {mtu} netns {net.TargetNamespace} type veth peer name {a} mtu {mtu} netns {net.RelayNamespace}");
                    IpCommand.Run($"link add {net.InitiatorInterface} mtu {mtu} netns {net.InitiatorNamespace} type veth peer name {b} mtu {mtu} netns {net.RelayNamespace}");
                    IpCommand.Run($"-n {net.RelayNamespace} link set {a} up");
                    IpCommand.Run($"-n {net.RelayNamespace} link set {b} up");
                }
                else
                {
                    IpCommand.Run($"link add {net.TargetInterface} mtu {mtu} netns {net.TargetNamespace} type veth peer name {net.InitiatorInterface} mtu {mtu} netns {net.InitiatorNamespace}");
                }

                IpCommand.Run($"-n {net.TargetNamespace} link set lo up");
                IpCommand.Run($"-n {net.TargetNamespace} link set {net.TargetInterface} up");
                IpCommand.Run($"-n {net.InitiatorNamespace} link set {net.InitiatorInterface} up");
                net.TargetMac = IpCommand.Run($"-n {net.TargetNamespace} -br link show {net.TargetInterface}").Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];
                return net;
            }
            catch
            {
                net.Dispose();
                throw;
            }
        }

        public Task<CommandResult> RunInitiatorAsync(params string[] args) => RunAsync(InitiatorNamespace, args);

        /// <summary>Any program (not netscsi) in <paramref name="ns"/>.</summary>
        public async Task<CommandResult> RunToolAsync(string ns, params string[] command)
        {
            var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in (string[])["netns", "exec", ns, .. command])
            {
                start.ArgumentList.Add(a);
            }

            using Process process = Process.Start(start)!;
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await process.WaitForExitAsync(cts.Token);
            return new CommandResult(process.ExitCode, await output, await error);
        }

        public Task<CommandResult> RunAsync(string ns, params string[] args) => RunAsync(ns, args, []);

        public async Task<CommandResult> RunAsync(string ns, string[] args, string[] prefix)
        {
            using Process process = Process.Start(Netscsi(ns, args, prefix))!;
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await process.WaitForExitAsync(cts.Token);
            return new CommandResult(process.ExitCode, await output, await error);
        }

        public static ProcessStartInfo Netscsi(string ns, IEnumerable<string> args, string[]? prefix = null)
        {
            var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            foreach (string a in (string[])["netns", "exec", ns, .. prefix ?? [], DotNet, Path.Combine(AppContext.BaseDirectory, "netscsi.dll"), .. args])
            {
                start.ArgumentList.Add(a);
            }

            start.Environment["HOME"] = Path.GetTempPath();
            return start;
        }

        private static string DotNet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

        public void Dispose()
        {
            IpCommand.TryRun($"netns del {TargetNamespace}");
            IpCommand.TryRun($"netns del {InitiatorNamespace}");
            IpCommand.TryRun($"netns del {RelayNamespace}");
        }
    }

    /// <summary><c>netscsi target serve</c> in the target namespace, until disposed; its stderr is kept.</summary>
    private sealed class TargetProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly System.Text.StringBuilder _log = new();

        private TargetProcess(Process process)
        {
            _process = process;
        }

        /// <summary>The target's own pid (ip netns exec execs it).</summary>
        public int Pid => _process.Id;

        /// <summary>What the target wrote to stderr so far.</summary>
        public string Log
        {
            get
            {
                lock (_log)
                {
                    return _log.ToString();
                }
            }
        }

        public static Task<TargetProcess> StartAsync(Namespaces net, params string[] extra) => StartAsync(net, null, extra);

        public static async Task<TargetProcess> StartAsync(Namespaces net, IReadOnlyDictionary<string, string>? environment, params string[] extra)
        {
            string[] args = ["target", "serve", "--listen", $"eth:{net.TargetInterface}", "--iqn", Iqn, "--log-level", "warning", .. extra];
            ProcessStartInfo start = Namespaces.Netscsi(net.TargetNamespace, args);
            foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
            {
                start.Environment[name] = value;
            }

            Process process = Process.Start(start)!;
            var target = new TargetProcess(process);
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    lock (target._log)
                    {
                        target._log.AppendLine(line);
                    }
                }
            };
            process.BeginErrorReadLine();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (await process.StandardOutput.ReadLineAsync(cts.Token) is { } line)
            {
                if (line.StartsWith("target ", StringComparison.Ordinal))
                {
                    // Keep draining so the target never blocks on a full pipe.
                    _ = process.StandardOutput.ReadToEndAsync();
                    return target;
                }
            }

            await process.WaitForExitAsync(cts.Token);
            string error = target.Log;
            await target.DisposeAsync();
            throw new InvalidOperationException($"the target did not start: {error}");
        }

        /// <summary>Waits until the target's stderr holds <paramref name="text"/> at least <paramref name="times"/> times.</summary>
        public async Task WaitForLogAsync(string text, int times = 1)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (Occurrences(Log, text) < times)
            {
                Assert.True(DateTime.UtcNow < deadline, $"the target never logged '{text}' ({times}x): {Log}");
                await Task.Delay(50);
            }
        }

        /// <summary>The target's VmRSS in KiB, from /proc.</summary>
        public long RssKiB()
        {
            string line = File.ReadLines($"/proc/{_process.Id}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        }

        /// <summary>SIGKILL, as a crash: nothing is flushed or closed by the target itself.</summary>
        public async Task KillAsync()
        {
            // ip netns exec execs the target: this is its pid.
            Assert.Equal(0, SendSignal(_process.Id, 9));
            await _process.WaitForExitAsync();
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }

            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }

    /// <summary>eth-impair-relay.py in the relay namespace, bridging its two interfaces with seeded impairments.</summary>
    private sealed class RelayProcess : IAsyncDisposable
    {
        private readonly Process _process;

        private RelayProcess(Process process)
        {
            _process = process;
        }

        public static async Task<RelayProcess> StartAsync(Namespaces net, string[] arguments)
        {
            var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
            (string a, string b) = net.RelayInterfaces;
            foreach (string argument in (string[])["netns", "exec", net.RelayNamespace, "python3", Path.Combine(AppContext.BaseDirectory, "InitiatorCli", "eth-impair-relay.py"), a, b, .. arguments])
            {
                start.ArgumentList.Add(argument);
            }

            var relay = new RelayProcess(Process.Start(start)!);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            string? line = await relay._process.StandardOutput.ReadLineAsync(cts.Token);
            if (line != "relay ready")
            {
                string error = await relay._process.StandardError.ReadToEndAsync(cts.Token);
                await relay.DisposeAsync();
                throw new InvalidOperationException($"the impairment relay did not start: {line} {error}");
            }

            return relay;
        }

        /// <summary>Stops the relay (SIGTERM) and returns its counters.</summary>
        public async Task<System.Text.Json.JsonElement> StopAsync()
        {
            Assert.Equal(0, SendSignal(_process.Id, 15));
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            string output = await _process.StandardOutput.ReadToEndAsync(cts.Token);
            await _process.WaitForExitAsync(cts.Token);
            return System.Text.Json.JsonDocument.Parse(output.Trim()).RootElement.Clone();
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }

            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }
}
