using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

using NetScsi.Functional.Tests.Support;

namespace NetScsi.Functional.Tests.InitiatorCli;

/// <summary>Which AoE target the client runs against.</summary>
public enum AoeTargetKind
{
    /// <summary>Debian's vblade, the reference AoE target.</summary>
    Vblade,

    /// <summary><c>netscsi target serve --listen aoe:IFACE,shelf=3</c> with the file as slot 1.</summary>
    NetScsi,
}

/// <summary>
/// netscsi's AoE client against an AoE target: two network namespaces joined by a veth pair, the target exporting a
/// tmpfs file as shelf 3 slot 1 in one, the netscsi commands in the other (root, as in CI). The same checks run
/// against vblade and against NetScsi's own AoE export.
/// </summary>
public abstract class AoeClientCliTests
{
    private static int s_next;

    private protected abstract AoeTargetKind Target { get; }

    private protected async Task DiscoverCapacityWriteThenReadAreTrueToTheFileAsync()
    {
        using var net = await AoeNet.StartAsync(Target, mtu: 9000, megabytes: 32);
        var discovered = await net.RunAsync("discover", $"aoe:{net.InitiatorInterface}", "--json");
        Ok(discovered);
        var device = JsonDocument.Parse(discovered.Output).RootElement.GetProperty("devices").EnumerateArray().Single();
        Assert.Equal("3.1", device.GetProperty("device").GetString());
        Assert.Equal(net.TargetMac, device.GetProperty("mac").GetString());
        Assert.Equal(32L << 20, device.GetProperty("size_bytes").GetInt64());
        Assert.Equal(17, device.GetProperty("sectors_per_command").GetInt32());

        var capacity = await net.RunAsync("capacity", net.Url, "--json");
        Ok(capacity);
        Assert.Equal(65536, JsonDocument.Parse(capacity.Output).RootElement.GetProperty("sectors").GetInt64());

        // 3 MiB + 1 sector at an odd LBA: frames of 17 sectors, a short last one, many in flight.
        byte[] data = new byte[(3 << 20) + 512];
        new Random(22).NextBytes(data);
        string input = Path.Combine(net.Directory, "in.bin");
        string output = Path.Combine(net.Directory, "out.bin");
        await File.WriteAllBytesAsync(input, data);
        Ok(await net.RunAsync("write", net.Url, "--lba", "77", "-i", input));
        Ok(await net.RunAsync("read", net.Url, "--lba", "77", "--blocks", (data.Length / 512).ToString(CultureInfo.InvariantCulture), "-o", output));
        byte[] back = await File.ReadAllBytesAsync(output);
        Assert.True(data.AsSpan().SequenceEqual(back), "what was read back differs from what was written");

        // And it is in the target's file, where the write said (the target stopped first: NetScsi holds its LUN files
        // locked while it serves them).
        net.StopTarget();
        byte[] lun = await File.ReadAllBytesAsync(net.LunPath);
        Assert.True(lun.AsSpan(77 * 512, data.Length).SequenceEqual(data), "the LUN file does not hold the written bytes at LBA 77");
        Assert.True(lun.AsSpan(0, 77 * 512).IndexOfAnyExcept((byte)0) < 0, "bytes before LBA 77 were touched");
    }

    private protected async Task BenchQd32CompletesIosAtMtu1500Async()
    {
        using var net = await AoeNet.StartAsync(Target, mtu: 1500, megabytes: 16);
        var bench = await net.RunAsync("bench", net.Url, "--rw", "randrw", "--bs", "4k", "--iodepth", "32", "--seconds", "1", "--json");
        Ok(bench);
        var result = JsonDocument.Parse(bench.Output).RootElement;
        Assert.True(result.GetProperty("read_ios").GetInt64() > 0 && result.GetProperty("write_ios").GetInt64() > 0, bench.Output);
    }

    private protected async Task TargetGoneTheIoFailsAfterTheTimeoutWithOneMessageAsync()
    {
        using var net = await AoeNet.StartAsync(Target, mtu: 1500, megabytes: 4);
        net.StopTarget();
        var stopwatch = Stopwatch.StartNew();
        var run = await net.RunAsync("capacity", net.Url, "--timeout", "2s");
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("no AoE target answers for shelf 3 slot 1", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
        Assert.InRange(stopwatch.Elapsed.TotalSeconds, 1.5, 30);

        var none = await net.RunAsync("discover", $"aoe:{net.InitiatorInterface}");
        Assert.Equal(3, none.ExitCode);
        Assert.Contains("no AoE device answers", none.Error);
    }

    private protected async Task CopyFileToDeviceLandsInTheTargetsFileZeroRangesWrittenAsZerosAsync()
    {
        // The device holds other bytes first: only zeros actually written can clear the zero range.
        byte[] before = RandomBytes(16 << 20, seed: 7);
        using var net = await AoeNet.StartAsync(Target, mtu: 9000, megabytes: 16, image: before);

        // 1 MiB of data, 2 MiB of zeros, 1 MiB + 100 bytes of data: the last sector is zero-padded on the device.
        byte[] source = new byte[(4 << 20) + 100];
        RandomBytes(1 << 20, seed: 8).CopyTo(source, 0);
        RandomBytes((1 << 20) + 100, seed: 9).CopyTo(source, 3 << 20);
        string input = Path.Combine(net.Directory, "in.img");
        await File.WriteAllBytesAsync(input, source);

        var copy = await net.RunAsync("copy", input, net.Url, "--verify", "--json");
        Ok(copy);
        var json = JsonDocument.Parse(copy.Output).RootElement;
        Assert.Equal(source.Length, json.GetProperty("bytes").GetInt64());
        Assert.Equal((2L << 20) + 512, json.GetProperty("data_bytes").GetInt64());
        var byMethod = json.GetProperty("zero_bytes_by_method");
        Assert.Equal(["zero_data"], byMethod.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2L << 20, byMethod.GetProperty("zero_data").GetInt64());
        Assert.True(json.GetProperty("verified").GetBoolean());

        net.StopTarget();
        byte[] lun = await File.ReadAllBytesAsync(net.LunPath);
        int padded = (source.Length + 511) / 512 * 512;
        Assert.True(lun.AsSpan(0, source.Length).SequenceEqual(source), "the LUN file does not hold the copied file");
        Assert.True(lun.AsSpan(1 << 20, 2 << 20).IndexOfAnyExcept((byte)0) < 0, "the zero range was not written as zeros");
        Assert.True(lun.AsSpan(source.Length, padded - source.Length).IndexOfAnyExcept((byte)0) < 0, "the last sector is not zero-padded");
        Assert.True(lun.AsSpan(padded).SequenceEqual(before.AsSpan(padded)), "sectors past the copy were touched");
    }

    private protected async Task CopyDeviceToFileEqualsTheTargetsFileAsync()
    {
        // MTU 1500: two sectors a frame, 512 frames per 1 MiB chunk.
        byte[] image = RandomBytes(8 << 20, seed: 10);
        image.AsSpan(2 << 20, 3 << 20).Clear();
        using var net = await AoeNet.StartAsync(Target, mtu: 1500, megabytes: 8, image: image);
        string output = Path.Combine(net.Directory, "out.img");

        var copy = await net.RunAsync("copy", net.Url, output, "--verify", "--json");
        Ok(copy);
        var json = JsonDocument.Parse(copy.Output).RootElement;
        Assert.Equal(8L << 20, json.GetProperty("bytes").GetInt64());
        Assert.Equal(3L << 20, json.GetProperty("zero_bytes_by_method").GetProperty("hole").GetInt64());
        byte[] copied = await File.ReadAllBytesAsync(output);
        Assert.True(image.AsSpan().SequenceEqual(copied), "the copied file differs from the target's file");
    }

    private protected async Task CopyFileLargerThanTheDeviceExits2AndWritesNothingAsync()
    {
        using var net = await AoeNet.StartAsync(Target, mtu: 9000, megabytes: 4);
        string input = Path.Combine(net.Directory, "in.img");
        await File.WriteAllBytesAsync(input, RandomBytes((4 << 20) + 512, seed: 11));

        var copy = await net.RunAsync("copy", input, net.Url);
        Assert.Equal(2, copy.ExitCode);
        Assert.Contains($"the source ({(4 << 20) + 512} bytes) does not fit on {net.Url} ({4 << 20} bytes)", copy.Error);
        Assert.DoesNotContain("   at ", copy.Error);

        net.StopTarget();
        byte[] lun = await File.ReadAllBytesAsync(net.LunPath);
        Assert.True(lun.AsSpan().IndexOfAnyExcept((byte)0) < 0, "a refused copy wrote to the device");
    }

    /// <summary>
    /// A config file's LUN object sets the slot's initial MAC Mask List and config string (NetScsi's export only): the
    /// initiator whose MAC is listed sees the slot and its string; with only another MAC listed it sees nothing.
    /// </summary>
    private protected async Task ConfigFileMacMaskAndConfigStringAreTheSlotsFromTheStartAsync()
    {
        using (var listed = await AoeNet.StartAsync(Target, mtu: 1500, megabytes: 4, lunJson: mac => $$"""
            "macMask": ["02:00:5e:00:00:01", "{{mac}}"], "configString": "rack 4, node 17"
            """))
        {
            var discovered = await listed.RunAsync("discover", $"aoe:{listed.InitiatorInterface}", "--json");
            Ok(discovered);
            var device = JsonDocument.Parse(discovered.Output).RootElement.GetProperty("devices").EnumerateArray().Single();
            Assert.Equal("3.1", device.GetProperty("device").GetString());
            Assert.Equal("rack 4, node 17", device.GetProperty("config_string").GetString());
            Ok(await listed.RunAsync("capacity", listed.Url));
        }

        using var other = await AoeNet.StartAsync(Target, mtu: 1500, megabytes: 4, lunJson: _ => """
            "macMask": ["02:00:5e:00:00:01"]
            """);
        var none = await other.RunAsync("discover", $"aoe:{other.InitiatorInterface}");
        Assert.Equal(3, none.ExitCode);
        Assert.Contains("no AoE device answers", none.Error);
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static void Ok(CommandResult run) => Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Error}");

    internal sealed record CommandResult(int ExitCode, string Output, string Error);

    /// <summary>The namespaces, the veth pair, the LUN file on tmpfs and the target; all removed on dispose.</summary>
    private sealed class AoeNet : IDisposable
    {
        private Process? _target;
        private readonly StringBuilder _targetLog = new();

        private AoeNet(string tag)
        {
            TargetNamespace = $"netscsi-{tag}-t";
            InitiatorNamespace = $"netscsi-{tag}-i";
            TargetInterface = $"nsa{tag}t";
            InitiatorInterface = $"nsa{tag}i";
            Directory = System.IO.Directory.CreateTempSubdirectory("netscsi-aoe-").FullName;
            LunPath = Path.Combine(System.IO.Directory.Exists("/dev/shm") ? "/dev/shm" : Directory, $"netscsi-aoe-{tag}.img");
        }

        public string TargetNamespace { get; }
        public string InitiatorNamespace { get; }
        public string TargetInterface { get; }
        public string InitiatorInterface { get; }
        public string Directory { get; }
        public string LunPath { get; }
        public string TargetMac { get; private set; } = "";
        public string InitiatorMac { get; private set; } = "";
        public string Url => $"aoe://{InitiatorInterface}/3.1";

        /// <param name="image">The LUN file's first bytes (zeros otherwise, and after them).</param>
        /// <param name="lunJson">NetScsi only: more properties of the LUN object in a config file, given the initiator's MAC.</param>
        public static async Task<AoeNet> StartAsync(AoeTargetKind kind, int mtu, int megabytes, byte[]? image = null, Func<string, string>? lunJson = null)
        {
            var net = new AoeNet($"{Environment.ProcessId % 10000}v{Interlocked.Increment(ref s_next)}");
            try
            {
                IpCommand.Run($"netns add {net.TargetNamespace}");
                IpCommand.Run($"netns add {net.InitiatorNamespace}");
                IpCommand.Run($"link add {net.TargetInterface} mtu {mtu} netns {net.TargetNamespace} type veth peer name {net.InitiatorInterface} mtu {mtu} netns {net.InitiatorNamespace}");
                IpCommand.Run($"-n {net.TargetNamespace} link set {net.TargetInterface} up");
                IpCommand.Run($"-n {net.InitiatorNamespace} link set {net.InitiatorInterface} up");
                net.TargetMac = IpCommand.Run($"-n {net.TargetNamespace} -br link show {net.TargetInterface}").Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];
                net.InitiatorMac = IpCommand.Run($"-n {net.InitiatorNamespace} -br link show {net.InitiatorInterface}").Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];
                await using (var lun = File.Create(net.LunPath))
                {
                    if (image is not null)
                    {
                        await lun.WriteAsync(image);
                    }

                    lun.SetLength((long)megabytes << 20);
                }

                await net.StartTargetAsync(kind, lunJson?.Invoke(net.InitiatorMac));
                return net;
            }
            catch
            {
                net.Dispose();
                throw;
            }
        }

        private async Task StartTargetAsync(AoeTargetKind kind, string? lunJson)
        {
            string[] lun = ["--lun", $"file:{LunPath},slot=1"];
            if (lunJson is not null)
            {
                string config = Path.Combine(Directory, "serve.json");
                await File.WriteAllTextAsync(config, $$"""
                    { "targets": [ { "iqn": "iqn.2026-12.org.netscsi:aoe-config", "luns": [ { "file": "{{LunPath}}", "slot": 1, {{lunJson}} } ] } ] }
                    """);
                lun = ["--config", config];
            }

            string[] command = kind == AoeTargetKind.Vblade
                ? ["vblade", "3", "1", TargetInterface, LunPath]
                : [DotnetHost, NetScsiDll, "target", "serve", "--listen", $"aoe:{TargetInterface},shelf=3", .. lun,
                    "--control-socket", Path.Combine(Directory, "control.sock"), "--log-level", "information"];
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var start = NetnsStart(TargetNamespace, command);
            _target = new Process { StartInfo = start };
            DataReceivedEventHandler log = (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }

                lock (_targetLog)
                {
                    _targetLog.AppendLine(e.Data);
                }

                // NetScsi's export logs its shelf once the socket is bound and the slots announced.
                if (e.Data.Contains("AoE shelf", StringComparison.Ordinal))
                {
                    ready.TrySetResult();
                }
            };
            _target.OutputDataReceived += log;
            _target.ErrorDataReceived += log;
            _target.Start();
            _target.BeginOutputReadLine();
            _target.BeginErrorReadLine();
            if (kind == AoeTargetKind.Vblade)
            {
                // vblade opens its socket at once and says nothing: a moment for it to be bound before the first query.
                await Task.Delay(300);
            }
            else
            {
                await Task.WhenAny(ready.Task, _target.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
                Assert.True(ready.Task.IsCompleted, $"netscsi target serve did not announce its AoE shelf:\n{TargetLog}");
            }

            Assert.False(_target.HasExited, $"{command[0]} exited at start:\n{TargetLog}");
        }

        private string TargetLog
        {
            get
            {
                lock (_targetLog)
                {
                    return _targetLog.ToString();
                }
            }
        }

        public void StopTarget()
        {
            if (_target is { HasExited: false })
            {
                _target.Kill(entireProcessTree: true);
                _target.WaitForExit();
            }
        }

        public async Task<CommandResult> RunAsync(params string[] args)
        {
            using Process process = Process.Start(NetnsStart(InitiatorNamespace, [DotnetHost, NetScsiDll, .. args]))!;
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await process.WaitForExitAsync(cts.Token);
            return new CommandResult(process.ExitCode, await output, await error);
        }

        private static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

        private static string NetScsiDll => Path.Combine(AppContext.BaseDirectory, "netscsi.dll");

        private static ProcessStartInfo NetnsStart(string netns, string[] command)
        {
            var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in (string[])["netns", "exec", netns, .. command])
            {
                start.ArgumentList.Add(a);
            }

            start.Environment["HOME"] = Path.GetTempPath();
            return start;
        }

        public void Dispose()
        {
            StopTarget();
            _target?.Dispose();
            IpCommand.TryRun($"netns del {TargetNamespace}");
            IpCommand.TryRun($"netns del {InitiatorNamespace}");
            File.Delete(LunPath);
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}

/// <summary>The client against Debian's vblade.</summary>
public sealed class AoeClientAgainstVbladeTests : AoeClientCliTests
{
    private protected override AoeTargetKind Target => AoeTargetKind.Vblade;

    [AoeNamespaceFact(NeedsVblade = true)]
    public Task Discover_Capacity_WriteThenRead_AgainstVblade_AreTrueToTheFile() => DiscoverCapacityWriteThenReadAreTrueToTheFileAsync();

    [AoeNamespaceFact(NeedsVblade = true)]
    public Task Bench_Qd32_AgainstVblade_CompletesIos_AtMtu1500() => BenchQd32CompletesIosAtMtu1500Async();

    [AoeNamespaceFact(NeedsVblade = true)]
    public Task VbladeGone_TheIoFailsAfterTheTimeout_WithOneMessage() => TargetGoneTheIoFailsAfterTheTimeoutWithOneMessageAsync();

    [AoeNamespaceFact(NeedsVblade = true)]
    public Task Copy_FileToDevice_AgainstVblade_LandsInTheTargetsFile_ZeroRangesWrittenAsZeros() => CopyFileToDeviceLandsInTheTargetsFileZeroRangesWrittenAsZerosAsync();

    [AoeNamespaceFact(NeedsVblade = true)]
    public Task Copy_DeviceToFile_AgainstVblade_EqualsTheTargetsFile() => CopyDeviceToFileEqualsTheTargetsFileAsync();

    [AoeNamespaceFact(NeedsVblade = true)]
    public Task Copy_FileLargerThanTheDevice_AgainstVblade_Exits2_AndWritesNothing() => CopyFileLargerThanTheDeviceExits2AndWritesNothingAsync();
}

/// <summary>The client against NetScsi's own AoE export (<c>target serve --listen aoe:</c>).</summary>
public sealed class AoeClientAgainstNetScsiTargetTests : AoeClientCliTests
{
    private protected override AoeTargetKind Target => AoeTargetKind.NetScsi;

    [AoeNamespaceFact]
    public Task Discover_Capacity_WriteThenRead_AgainstNetScsiExport_AreTrueToTheFile() => DiscoverCapacityWriteThenReadAreTrueToTheFileAsync();

    [AoeNamespaceFact]
    public Task Bench_Qd32_AgainstNetScsiExport_CompletesIos_AtMtu1500() => BenchQd32CompletesIosAtMtu1500Async();

    [AoeNamespaceFact]
    public Task NetScsiExportGone_TheIoFailsAfterTheTimeout_WithOneMessage() => TargetGoneTheIoFailsAfterTheTimeoutWithOneMessageAsync();

    [AoeNamespaceFact]
    public Task Copy_FileToDevice_AgainstNetScsiExport_LandsInTheTargetsFile_ZeroRangesWrittenAsZeros() => CopyFileToDeviceLandsInTheTargetsFileZeroRangesWrittenAsZerosAsync();

    [AoeNamespaceFact]
    public Task Copy_DeviceToFile_AgainstNetScsiExport_EqualsTheTargetsFile() => CopyDeviceToFileEqualsTheTargetsFileAsync();

    [AoeNamespaceFact]
    public Task Copy_FileLargerThanTheDevice_AgainstNetScsiExport_Exits2_AndWritesNothing() => CopyFileLargerThanTheDeviceExits2AndWritesNothingAsync();

    [AoeNamespaceFact]
    public Task ConfigFile_MacMaskAndConfigString_AreTheSlotsFromTheStart_AnUnlistedMacSeesNothing() => ConfigFileMacMaskAndConfigStringAreTheSlotsFromTheStartAsync();
}
