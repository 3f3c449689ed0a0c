using System.Net;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Target;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using NetScsi.Transport;
using NetScsi.Transport.Tcp;

namespace NetScsi.Benchmarks;

/// <summary>
/// The target's sendfile path: a file LUN on tmpfs (/dev/shm), served over loopback TCP, read 64 KiB at a
/// time, so the Data-In leaves through <see cref="TcpConnection"/>'s sendfile instead of a buffer. The
/// initiator side (<see cref="BenchInitiator"/>) allocates nothing per command.
/// </summary>
[MemoryDiagnoser]
public class TargetTcpFileBenchmarks
{
    public const int ReadBytes = 64 * 1024;

    public const string TargetName = "iqn.2026-11.org.netscsi:bench-tcp";
    private const long Lba = 2048;

    private readonly string _path = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"netscsi-bench-{Environment.ProcessId}.img");
    private IscsiTargetServer? _server;
    private BenchInitiator? _client;

    /// <summary>The target's loopback portal.</summary>
    public Portal Portal { get; private set; } = null!;

    private BenchInitiator Client => _client ?? throw new InvalidOperationException("GlobalSetup did not run.");

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    public async Task SetupAsync()
    {
        var options = new IscsiTargetOptions();
        var target = new TargetDefinition { Name = TargetName };
        target.Luns.Add(new LunMapping(0, new BlockLogicalUnit(FileBlockDevice.Open(_path, 64L * 1024 * 1024, BenchInitiator.BlockSize), new LogicalUnitOptions())));
        options.Targets.Add(target);
        _server = new IscsiTargetServer(options, NullLoggerFactory.Instance);
        var listener = TcpDataMoverListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Portal = listener.Portal;
        _server.AddListener(listener);
        await _server.StartAsync();
        var stream = await TcpDataMoverConnector.ConnectStreamAsync(listener.Portal);
        _client = new BenchInitiator(stream.Pipe, stream, Lba, ReadBytes);
        await _client.LoginAsync(TargetName, "iqn.2026-11.org.netscsi:bench-initiator");
        _client.ClearUnitAttention();
    }

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    public async Task CleanupAsync()
    {
        await BenchInitiator.DisposeWithTargetAsync(_client, _server);
        File.Delete(_path);
    }

    /// <summary>READ(10) of 64 KiB, one at a time: SCSI Command, then a Data-In header and the file range by sendfile.</summary>
    [Benchmark(OperationsPerInvoke = TargetEndToEndBenchmarks.Commands)]
    public void Read64K() => Client.Run(BenchInitiator.Operation.Read, TargetEndToEndBenchmarks.Commands, 1);

    /// <summary>As <see cref="Read64K"/> with 8 commands sent before the 8 responses are read.</summary>
    [Benchmark(OperationsPerInvoke = TargetEndToEndBenchmarks.Commands)]
    public void Read64KQD8() => Client.Run(BenchInitiator.Operation.Read, TargetEndToEndBenchmarks.Commands, 8);

    /// <summary>For the allocation probe.</summary>
    internal void Run(BenchInitiator.Operation operation, int count, int depth) => Client.Run(operation, count, depth);
}
