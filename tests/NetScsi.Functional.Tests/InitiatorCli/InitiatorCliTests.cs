using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using NetScsi.Iscsi.Initiator;
using NetScsi.Scsi.Commands;
using NetScsi.Transport.Tcp;

namespace NetScsi.Functional.Tests.InitiatorCli;

/// <summary>The initiator commands, in-process, against NetScsi's target over loopback TCP.</summary>
public sealed class InitiatorCliTests(CliTargetFixture target) : IClassFixture<CliTargetFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("netscsi-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<CliTargetFixture.Run> Cli(params string[] args) => CliTargetFixture.RunAsync(args);

    private static CliTargetFixture.Run Ok(CliTargetFixture.Run run)
    {
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\nstdout: {run.Output}\nstderr: {run.Error}");
        return run;
    }

    private static JsonElement Json(CliTargetFixture.Run run) => JsonDocument.Parse(Ok(run).Output).RootElement;

    [Fact]
    public async Task Discover_Table_And_Json_ListTargetsWithPortal()
    {
        var human = Ok(await Cli("discover", target.Portal));
        Assert.Contains(CliTargetFixture.Open, human.Output);
        Assert.Contains(target.Portal, human.Output);

        var json = Json(await Cli("discover", target.Portal, "--json"));
        var open = json.GetProperty("targets").EnumerateArray().Single(t => t.GetProperty("target").GetString() == CliTargetFixture.Open);
        var portal = open.GetProperty("portals")[0];
        Assert.Equal("127.0.0.1", portal.GetProperty("host").GetString());
        Assert.Equal(target.Port, portal.GetProperty("port").GetInt32());
    }

    [Fact]
    public async Task Ls_Table_And_Json_ShowEveryLunWithTypeSizeAndVendor()
    {
        var human = Ok(await Cli("ls", $"iscsi://{target.Portal}/{CliTargetFixture.Open}"));
        Assert.Contains("DIRECT_ACCESS", human.Output);
        Assert.Contains("64 MiB", human.Output);
        Assert.Contains("16 MiB", human.Output);
        Assert.Contains("NETSCSI", human.Output);

        var json = Json(await Cli("ls", target.Url(CliTargetFixture.Open, 0), "--json"));
        var luns = json.GetProperty("luns").EnumerateArray().ToArray();
        Assert.Equal([0UL, 1UL, 2UL], luns.Select(l => l.GetProperty("lun").GetUInt64()));
        Assert.Equal(64L << 20, luns[0].GetProperty("size_bytes").GetInt64());
        Assert.Equal(512, luns[0].GetProperty("block_size").GetInt32());
        Assert.Equal("DIRECT_ACCESS", luns[1].GetProperty("type").GetString());
        Assert.Equal("NETSCSI", luns[1].GetProperty("vendor").GetString());
        Assert.False(string.IsNullOrEmpty(luns[1].GetProperty("product").GetString()));
    }

    [Fact]
    public async Task Inquiry_Table_And_Json()
    {
        var human = Ok(await Cli("inquiry", target.Url(CliTargetFixture.Open, 1)));
        Assert.Contains("Vendor", human.Output);
        Assert.Contains("NETSCSI", human.Output);

        var json = Json(await Cli("inquiry", target.Url(CliTargetFixture.Open, 1), "--json"));
        Assert.Equal("DIRECT_ACCESS", json.GetProperty("type").GetString());
        Assert.Equal("NETSCSI", json.GetProperty("vendor").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("serial").GetString()));
        Assert.Contains(json.GetProperty("designators").EnumerateArray(), d => d.GetString()!.StartsWith("naa:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Capacity_Table_And_Json()
    {
        var human = Ok(await Cli("capacity", target.Url(CliTargetFixture.Open, 1)));
        Assert.Contains("16 MiB (16777216 bytes)", human.Output);

        var json = Json(await Cli("capacity", target.Url(CliTargetFixture.Open, 1), "--json"));
        Assert.Equal(32768, json.GetProperty("blocks").GetInt64());
        Assert.Equal(512, json.GetProperty("block_size").GetInt32());
        Assert.Equal(16L << 20, json.GetProperty("size_bytes").GetInt64());
        Assert.True(json.GetProperty("thin_provisioned").GetBoolean());
    }

    [Fact]
    public async Task WriteThenRead_RoundTripsThroughFilesAndStdout()
    {
        byte[] data = RandomBytes(256 * 1024 + 512 * 3);
        string input = Path.Combine(_dir, "in.bin");
        string output = Path.Combine(_dir, "out.bin");
        await File.WriteAllBytesAsync(input, data);
        string url = target.Url(CliTargetFixture.Open, 0);

        Ok(await Cli("write", url, "--lba", "1000", "-i", input));
        Ok(await Cli("read", url, "--lba", "1000", "--blocks", (data.Length / 512).ToString(), "-o", output));
        Assert.Equal(data, await File.ReadAllBytesAsync(output));

        var toStdout = Ok(await Cli("read", url, "--lba", "1001", "--blocks", "2"));
        Assert.Equal(data.AsSpan(512, 1024).ToArray(), toStdout.Binary);
    }

    [Fact]
    public async Task Copy_SparseFileToLunAndBack_Verifies_ZeroRangeIsDeallocatedNotWritten()
    {
        string url = target.Url(CliTargetFixture.Open, 1);
        // Put data where the zero range will land, so only a deallocation (not a skipped write) can clear it.
        string filler = Path.Combine(_dir, "filler.bin");
        await File.WriteAllBytesAsync(filler, RandomBytes(8 << 20));
        Ok(await Cli("write", url, "--lba", ((2 << 20) / 512).ToString(), "-i", filler));

        // 2 MiB data, 8 MiB hole, 1 MiB data.
        string sparse = Path.Combine(_dir, "sparse.img");
        byte[] head = RandomBytes(2 << 20);
        byte[] tail = RandomBytes(1 << 20);
        await using (var f = File.Create(sparse))
        {
            await f.WriteAsync(head);
            f.SetLength(10 << 20);
            f.Seek(0, SeekOrigin.End);
            await f.WriteAsync(tail);
        }

        var json = Json(await Cli("copy", sparse, url, "--verify", "--json"));
        Assert.Equal(11L << 20, json.GetProperty("bytes").GetInt64());
        Assert.Equal(3L << 20, json.GetProperty("data_bytes").GetInt64());
        Assert.Equal(8L << 20, json.GetProperty("zero_bytes_by_method").GetProperty("write_same_unmap").GetInt64());
        Assert.True(json.GetProperty("verified").GetBoolean());

        // GET LBA STATUS: the whole 8 MiB zero range is deallocated (written zeros would be mapped).
        await using (var session = await IscsiSession.ConnectAsync(new IscsiSessionOptions
        {
            Portal = new TcpPortal("127.0.0.1", target.Port),
            Connector = new TcpTransport(),
            TargetName = CliTargetFixture.Open,
        }))
        {
            var (lba, count, status) = await GetLbaStatusAsync(session, 1, (2 << 20) / 512);
            Assert.Equal((ulong)((2 << 20) / 512), lba);
            Assert.Equal(1, status);
            Assert.True(count >= (8 << 20) / 512, $"deallocated extent is {count} blocks");
        }

        string back = Path.Combine(_dir, "back.img");
        var copyBack = Json(await Cli("copy", url, back, "--verify", "--json"));
        Assert.True(copyBack.GetProperty("zero_bytes_by_method").GetProperty("hole").GetInt64() >= 8L << 20);
        byte[] lun = await File.ReadAllBytesAsync(back);
        Assert.Equal(16 << 20, lun.Length);
        Assert.Equal(head, lun.AsSpan(0, head.Length).ToArray());
        Assert.True(lun.AsSpan(2 << 20, 8 << 20).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(tail, lun.AsSpan(10 << 20, 1 << 20).ToArray());
    }

    [Fact]
    public async Task Bench_OneSecondJson_HasRequiredFields()
    {
        var json = Json(await Cli("bench", target.Url(CliTargetFixture.Open, 0), "--pattern", "randrw", "--block-size", "4k",
            "--queue-depth", "8", "--seconds", "1", "--sessions", "2", "--json"));
        Assert.True(json.GetProperty("iops").GetDouble() > 0);
        Assert.True(json.GetProperty("mb_per_s").GetDouble() > 0);
        var latency = json.GetProperty("latency_us");
        double p50 = latency.GetProperty("p50").GetDouble();
        double p99 = latency.GetProperty("p99").GetDouble();
        double p999 = latency.GetProperty("p99_9").GetDouble();
        Assert.True(p50 > 0 && p50 <= p99 && p99 <= p999, $"p50 {p50} p99 {p99} p99.9 {p999}");
        Assert.True(json.GetProperty("read_ios").GetInt64() > 0 && json.GetProperty("write_ios").GetInt64() > 0);
    }

    [Fact]
    public async Task Bench_Connections4_ReportsTheConnectionsItGot_AndTheCommandsEachCarried()
    {
        // NetScsi's target negotiates up to MaxConnections=4 (its default). Queue depth 1: one command at a time, so the
        // target never holds a command behind a CmdSN hole (see McsTargetHoldRaceTests for why that matters today).
        var run = await Cli("bench", target.Url(CliTargetFixture.Open, 0), "--pattern", "randread", "--queue-depth", "1", "--seconds", "0.5",
            "--connections", "4", "--json");
        var json = Json(run);
        Assert.Equal(4, json.GetProperty("connections").GetInt32());
        Assert.Equal(1, json.GetProperty("sessions").GetInt32());
        Assert.Contains("4 connection(s) (asked 4, the target's MaxConnections 4)", run.Error);
        string perConnection = run.Error.Split('\n').Single(line => line.Contains("SCSI commands per connection", StringComparison.Ordinal));
        long[] counts = perConnection[(perConnection.LastIndexOf(':') + 1)..].Split(',').Select(c => long.Parse(c.Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(4, counts.Length);
        Assert.True(counts.Sum() >= json.GetProperty("ios").GetInt64(), perConnection); // plus READ CAPACITY and the I/Os after the window

        var human = Ok(await Cli("bench", target.Url(CliTargetFixture.Open, 0), "--queue-depth", "2", "--seconds", "0.3"));
        Assert.Contains("1 session(s) of 1 connection(s)", human.Output);
        Assert.DoesNotContain("connection(s) (asked", human.Error);
    }

    [Theory]
    [InlineData("bench", "0")]
    [InlineData("bench", "17")]
    [InlineData("capacity", "many")]
    [InlineData("copy", "-2")]
    public async Task Connections_OutOfRange_Exits2WithOneMessage(string command, string value)
    {
        string[] args = command == "copy"
            ? ["copy", target.Url(CliTargetFixture.Open, 0), Path.Combine(_dir, "out.bin"), "--connections", value]
            : [command, target.Url(CliTargetFixture.Open, 0), "--connections", value];
        var run = await Cli(args);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"--connections '{value}': expected a whole number from 1 to 16", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Fact]
    public async Task Bench_Json_ReportsProcessCpuOverTheWindow_AndItsCostPerIo()
    {
        var json = Json(await Cli("bench", target.Url(CliTargetFixture.Open, 0), "--pattern", "randread", "--block-size", "4k",
            "--queue-depth", "4", "--seconds", "0.5", "--json"));
        var cpu = json.GetProperty("cpu");
        double user = cpu.GetProperty("user_percent").GetDouble();
        double system = cpu.GetProperty("system_percent").GetDouble();
        double perIo = cpu.GetProperty("us_per_io").GetDouble();
        Assert.True(user + system > 0, $"usr {user}% sys {system}%: the I/O loop itself runs on this process's threads");

        // The per-I/O cost is the window's CPU spread over the counted I/Os (rounding aside).
        double seconds = json.GetProperty("seconds").GetDouble();
        long ios = json.GetProperty("ios").GetInt64();
        double expected = (user + system) / 100 * seconds * 1e6 / ios;
        Assert.InRange(perIo, expected * 0.95 - 0.01, expected * 1.05 + 0.01);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Node_DiscoverSave_List_Show_UseByName_Delete_FilesAre0600()
    {
        string nodes = Path.Combine(_dir, "nodes");
        Ok(await Cli("discover", target.Portal, "--save", "--node-dir", nodes, "--chap", $"{CliTargetFixture.ChapUser}:{CliTargetFixture.ChapSecret}"));
        string file = Path.Combine(nodes, CliTargetFixture.Chap + ".json");
        Assert.True(File.Exists(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(nodes));

        var list = Json(await Cli("node", "list", "--node-dir", nodes, "--json"));
        Assert.Contains(list.GetProperty("nodes").EnumerateArray(), n => n.GetProperty("name").GetString() == CliTargetFixture.Chap);

        var show = Ok(await Cli("node", "show", CliTargetFixture.Chap, "--node-dir", nodes));
        Assert.Contains(CliTargetFixture.ChapUser, show.Output);
        Assert.DoesNotContain(CliTargetFixture.ChapSecret, show.Output);

        // The saved credentials log in to the CHAP target by name, with a LUN suffix.
        var capacity = Json(await Cli("capacity", CliTargetFixture.Chap + "/0", "--node-dir", nodes, "--json"));
        Assert.Equal(4L << 20, capacity.GetProperty("size_bytes").GetInt64());

        Ok(await Cli("node", "update", "mine", "--portal", target.Portal, "--target", CliTargetFixture.Open, "--header-digest", "CRC32C", "--node-dir", nodes));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(nodes, "mine.json")));
        Ok(await Cli("ls", "mine", "--node-dir", nodes));

        Ok(await Cli("node", "delete", "mine", "--node-dir", nodes));
        Assert.False(File.Exists(Path.Combine(nodes, "mine.json")));
        var gone = await Cli("node", "show", "mine", "--node-dir", nodes);
        Assert.Equal(2, gone.ExitCode);
        Assert.Contains("no node record 'mine'", gone.Error);
    }

    [Fact]
    public async Task MutualChap_RightCredentials_Succeed_WrongTargetSecret_Exits4()
    {
        string url = target.Url(CliTargetFixture.Mutual, 0);
        string chap = $"{CliTargetFixture.ChapUser}:{CliTargetFixture.ChapSecret}";
        Ok(await Cli("capacity", url, "--chap", chap, "--mutual-chap", $"{CliTargetFixture.TargetUser}:{CliTargetFixture.TargetSecret}"));

        var wrong = await Cli("capacity", url, "--chap", chap, "--mutual-chap", $"{CliTargetFixture.TargetUser}:not-the-secret-1");
        Assert.Equal(4, wrong.ExitCode);
        Assert.StartsWith("netscsi: error: login to", wrong.Error);
    }

    [Fact]
    public async Task Digests_Crc32c_Work()
    {
        var json = Json(await Cli("capacity", target.Url(CliTargetFixture.Open, 1), "--header-digest", "CRC32C", "--data-digest", "crc32c", "--json"));
        Assert.Equal(32768, json.GetProperty("blocks").GetInt64());
    }

    [Theory]
    [InlineData("iscsi://127.0.0.1:99999/iqn.2026-11.org.x:y/0", "invalid iSCSI URL")]
    [InlineData("iscsi://127.0.0.1/not-an-iqn/0", "is not an iSCSI name")]
    [InlineData("iscsi://127.0.0.1/iqn.2026-11.org.x:y/99999", "is not a LUN")]
    [InlineData("iscsi:/127.0.0.1", "invalid iSCSI URL")]
    [InlineData("iscsi://127.0.0.1:3260", "names no target")]
    [InlineData("no-such-node", "neither an iSCSI URL")]
    public async Task BadUrl_Exits2WithMessage(string url, string fragment)
    {
        var run = await Cli("ls", url, "--node-dir", _dir);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(fragment, run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Theory]
    [InlineData("ls")]
    [InlineData("bench")]
    public async Task PathWithAnAoeDevice_Exits2BeforeOpeningIt(string command)
    {
        var run = await Cli(command, "aoe://no-such-if0/1.2", "--path", "127.0.0.1");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--path applies to iSCSI LUNs", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    // Where the other side is a valid aoe:// URL, its interface does not exist: opening it would fail with exit 3 (1
    // without CAP_NET_RAW), so exit 2 shows the malformed destination was refused before the source was opened.
    [Theory]
    [InlineData("aoe://no-such-if0/1", "{out}", "'1' is not SHELF.SLOT")]
    [InlineData("{in}", "aoe://no-such-if0/1.x", "'1.x' is not SHELF.SLOT")]
    [InlineData("aoe://no-such-if0/1.2", "aoe://no-such-if0/65535.1", "broadcast addresses")]
    [InlineData("aoe://no-such-interface-name/1.2", "{out}", "is not an interface name")]
    public async Task Copy_InvalidAoeUrl_Exits2BeforeEitherSideIsOpened(string source, string destination, string fragment)
    {
        string input = Path.Combine(_dir, "in.bin");
        string output = Path.Combine(_dir, "out.bin");
        await File.WriteAllBytesAsync(input, RandomBytes(4096));
        string Expand(string spec) => spec.Replace("{in}", input, StringComparison.Ordinal).Replace("{out}", output, StringComparison.Ordinal);

        var run = await Cli("copy", Expand(source), Expand(destination));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("invalid AoE URL", run.Error);
        Assert.Contains(fragment, run.Error);
        Assert.DoesNotContain("   at ", run.Error);
        Assert.False(File.Exists(output), "the local destination was created for a copy that was refused");
    }

    [Fact]
    public async Task BadOption_Exits2()
    {
        var run = await Cli("read", target.Url(CliTargetFixture.Open, 0), "--lba", "0");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--blocks", run.Error);

        run = await Cli("bench", target.Url(CliTargetFixture.Open, 0), "--pattern", "sideways");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("randrw", run.Error);

        run = await Cli("bench", target.Url(CliTargetFixture.Open, 0), "--ramp-time", "-1");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--ramp-time", run.Error);

        run = await Cli("bench", target.Url(CliTargetFixture.Open, 0), "--buffers", "shared");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--buffers", run.Error);
    }

    [Theory]
    [InlineData(null, "pooled")]
    [InlineData("fixed", "fixed")]
    [InlineData("pooled", "pooled")]
    public async Task Bench_Json_NamesWhereReadsLand_PooledByDefault(string? buffers, string expected)
    {
        string[] args = ["bench", target.Url(CliTargetFixture.Open, 0), "--pattern", "read", "--block-size", "64k",
            "--queue-depth", "4", "--seconds", "0.3", "--json"];
        var json = Json(await Cli(buffers is null ? args : [.. args, "--buffers", buffers]));
        Assert.Equal(expected, json.GetProperty("buffers").GetString());
        Assert.True(json.GetProperty("read_ios").GetInt64() > 0);
    }

    private static readonly System.Text.RegularExpressions.Regex LiveLine = new(
        @"^ +\d+\.\d s +[\d,]+ IOPS +[\d,.]+ MB/s +p50 +[\d,.]+ us +p99 +[\d,.]+ us$", System.Text.RegularExpressions.RegexOptions.Multiline);

    [Fact]
    public async Task Bench_OnATerminal_PrintsALiveLineEachSecond_AndALatencyHistogramAtTheEnd()
    {
        var run = await CliTargetFixture.RunAsync(terminal: true, "bench", target.Url(CliTargetFixture.Open, 0), "--pattern", "randread",
            "--block-size", "4k", "--queue-depth", "4", "--seconds", "3.5");

        Assert.Equal(0, run.ExitCode);
        var lines = LiveLine.Matches(run.Output);
        Assert.InRange(lines.Count, 2, 3);
        Assert.All(lines, line => Assert.DoesNotMatch(@" 0 IOPS", line.Value));
        Assert.Contains("Latency (I/Os per bucket, up to N us)", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"<= [\d,]+ us", run.Output);
    }

    [Fact]
    public async Task Bench_Piped_OrWithJson_PrintsNoLiveLinesAndNoHistogram()
    {
        var piped = await Cli("bench", target.Url(CliTargetFixture.Open, 0), "--pattern", "randread", "--block-size", "4k", "--queue-depth", "4", "--seconds", "2.2");
        var json = await CliTargetFixture.RunAsync(terminal: true, "bench", target.Url(CliTargetFixture.Open, 0), "--pattern", "randread",
            "--block-size", "4k", "--queue-depth", "4", "--seconds", "2.2", "--json");

        Assert.Equal(0, piped.ExitCode);
        Assert.Empty(LiveLine.Matches(piped.Output));
        Assert.DoesNotContain("Latency (I/Os per bucket", piped.Output, StringComparison.Ordinal);
        Assert.Equal(0, json.ExitCode);
        Assert.Empty(LiveLine.Matches(json.Output));
        Assert.True(Json(json).GetProperty("ios").GetInt64() > 0);
    }

    [Fact]
    public async Task Bench_WithRampTime_MeasuresOnlyTheSecondsAfterIt()
    {
        var json = Json(await Cli("bench", target.Url(CliTargetFixture.Open, 0), "--pattern", "randread", "--block-size", "4k",
            "--queue-depth", "4", "--seconds", "0.5", "--ramp-time", "1", "--json"));
        double seconds = json.GetProperty("seconds").GetDouble();
        // The window ends on a timer, which may fire a few milliseconds early by the Stopwatch; with the ramp
        // included it would be 1.5 s or more.
        Assert.InRange(seconds, 0.45, 1.4);
        Assert.True(json.GetProperty("ios").GetInt64() > 0);
    }

    [Fact]
    public async Task ConnectionRefused_Exits3()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var run = await Cli("ls", $"iscsi://127.0.0.1:{port}/{CliTargetFixture.Open}/0");
        Assert.Equal(3, run.ExitCode);
        Assert.Contains($"cannot connect to 127.0.0.1:{port}", run.Error);
        Assert.DoesNotContain("   at ", run.Error);

        run = await Cli("discover", $"127.0.0.1:{port}");
        Assert.Equal(3, run.ExitCode);
    }

    [Theory]
    [InlineData("cliuser:wrong-secret-123")]
    [InlineData(null)]
    public async Task WrongOrMissingChap_Exits4(string? chap)
    {
        string[] args = ["ls", target.Url(CliTargetFixture.Chap, 0)];
        var run = await Cli(chap is null ? args : [.. args, "--chap", chap]);
        Assert.Equal(4, run.ExitCode);
        Assert.Contains("failed", run.Error);
        Assert.DoesNotContain("wrong-secret", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Fact]
    public async Task WrongChapInUrl_Exits4_AndSecretIsNotEchoed()
    {
        var run = await Cli("ls", $"iscsi://cliuser%hunter2-secret@{target.Portal}/{CliTargetFixture.Chap}/0");
        Assert.Equal(4, run.ExitCode);
        Assert.DoesNotContain("hunter2", run.Error);
    }

    [Fact]
    public async Task UnknownTarget_Exits4()
    {
        var run = await Cli("ls", target.Url("iqn.2026-11.org.netscsi:nope", 0));
        Assert.Equal(4, run.ExitCode);
        Assert.Contains("does not exist", run.Error);
    }

    [Fact]
    public async Task WriteToReadOnlyLun_Exits5()
    {
        string input = Path.Combine(_dir, "one.bin");
        await File.WriteAllBytesAsync(input, new byte[512]);
        var run = await Cli("write", target.Url(CliTargetFixture.Open, 2), "-i", input);
        Assert.Equal(5, run.ExitCode);
        Assert.Contains("DataProtect", run.Error);
    }

    [Fact]
    public async Task ReadPastEnd_Exits2_MissingInputFile_Exits1()
    {
        var run = await Cli("read", target.Url(CliTargetFixture.Open, 2), "--lba", "2047", "--blocks", "2");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("runs past the end", run.Error);

        run = await Cli("write", target.Url(CliTargetFixture.Open, 0), "-i", Path.Combine(_dir, "missing.bin"));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("missing.bin", run.Error);
    }

    private static byte[] RandomBytes(int length)
    {
        byte[] data = new byte[length];
        Random.Shared.NextBytes(data);
        // No all-zero 4 KiB granule by accident.
        for (int i = 0; i < length; i += 512)
        {
            data[i] |= 1;
        }

        return data;
    }

    private static async Task<(ulong Lba, uint Count, int Status)> GetLbaStatusAsync(IscsiSession session, ulong lun, ulong lba)
    {
        byte[] cdb = new byte[ServiceActionIn16Cdb.Length];
        ServiceActionIn16Cdb.GetLbaStatus(lba, 24).WriteTo(cdb);
        byte[] buffer = new byte[24];
        ScsiResult result = default;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            result = await session.ExecuteAsync(lun, cdb, buffer, default);
            if (result.IsGood)
            {
                break;
            }
        }

        Assert.True(result.IsGood, result.Describe());
        return (BinaryPrimitives.ReadUInt64BigEndian(buffer.AsSpan(8)), BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(16)), buffer[20] & 0x0F);
    }
}
