using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Target;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using NetScsi.Transport.InMemory;

namespace NetScsi.Benchmarks;

/// <summary>
/// The whole target data path over the in-memory data mover: receive loop, CmdSN window, command pool,
/// logical unit, memory block device, Data-In with folded status / SCSI Response. The initiator side
/// (<see cref="BenchInitiator"/>) allocates nothing per command, so the Allocated column is the target's.
/// </summary>
[MemoryDiagnoser]
public class TargetEndToEndBenchmarks
{
    /// <summary>Commands per benchmark invocation: amortizes the blocking hand-off to the benchmark thread.</summary>
    public const int Commands = 256;

    private const string TargetName = "iqn.2026-11.org.netscsi:bench";
    private const long Lba = 2048;

    private InMemoryDataMover? _mover;
    private IscsiTargetServer? _server;
    private BenchInitiator? _client;

    private BenchInitiator Client => _client ?? throw new InvalidOperationException("GlobalSetup did not run.");

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    public async Task SetupAsync()
    {
        var options = new IscsiTargetOptions();
        var target = new TargetDefinition { Name = TargetName };
        var device = new MemoryBlockDevice(64L * 1024 * 1024, BenchInitiator.BlockSize);
        target.Luns.Add(new LunMapping(0, new BlockLogicalUnit(device, new LogicalUnitOptions())));
        options.Targets.Add(target);
        _server = new IscsiTargetServer(options, NullLoggerFactory.Instance);
        _mover = new InMemoryDataMover();
        _server.AddListener(_mover);
        await _server.StartAsync();
        _client = new BenchInitiator(_mover.ConnectRaw(_mover.Portal), owner: null, Lba);
        await _client.LoginAsync(TargetName, "iqn.2026-11.org.netscsi:bench-initiator");
        _client.ClearUnitAttention();
        // Give the read something other than never-written (zero-filled) blocks to copy.
        _client.Run(BenchInitiator.Operation.Write, 1, 1);
    }

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    public async Task CleanupAsync()
    {
        await BenchInitiator.DisposeWithTargetAsync(_client, _server);
        if (_mover is not null)
        {
            await _mover.DisposeAsync();
        }
    }

    /// <summary>READ(10) of 8 blocks at a fixed LBA, one at a time: SCSI Command, Data-In with folded status.</summary>
    [Benchmark(OperationsPerInvoke = Commands)]
    public void Read4K() => Client.Run(BenchInitiator.Operation.Read, Commands, 1);

    /// <summary>WRITE(10) of 8 blocks with 4 KiB immediate data, one at a time: SCSI Command, SCSI Response.</summary>
    [Benchmark(OperationsPerInvoke = Commands)]
    public void Write4K() => Client.Run(BenchInitiator.Operation.Write, Commands, 1);

    /// <summary>As <see cref="Read4K"/> with 8 commands sent before the 8 responses are read.</summary>
    [Benchmark(OperationsPerInvoke = Commands)]
    public void Read4KQD8() => Client.Run(BenchInitiator.Operation.Read, Commands, 8);

    /// <summary>As <see cref="Write4K"/> with 8 commands sent before the 8 responses are read.</summary>
    [Benchmark(OperationsPerInvoke = Commands)]
    public void Write4KQD8() => Client.Run(BenchInitiator.Operation.Write, Commands, 8);

    /// <summary>For the allocation probe.</summary>
    internal void Run(BenchInitiator.Operation operation, int count, int depth) => Client.Run(operation, count, depth);
}
