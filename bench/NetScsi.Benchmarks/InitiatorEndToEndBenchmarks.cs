using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using NetScsi.Iscsi.Initiator;

namespace NetScsi.Benchmarks;

/// <summary>
/// The initiator library's command path (<see cref="IscsiSession.ReadAsync"/> / <see cref="IscsiSession.ReadPooledAsync"/> /
/// <see cref="IscsiSession.WriteAsync"/> of 4 KiB: submit, sender loop, receive loop, completion) against <see cref="FakeTarget"/> over the in-memory
/// data mover. The fake target allocates nothing per command, so the Allocated column is the initiator's.
/// </summary>
[MemoryDiagnoser]
public class InitiatorEndToEndBenchmarks
{
    /// <summary>What a benchmark's commands do.</summary>
    public enum Operation
    {
        /// <summary><see cref="IscsiSession.ReadAsync"/> into the slot's buffer.</summary>
        Read,

        /// <summary><see cref="IscsiSession.ReadPooledAsync"/>, disposing the rented buffer at once.</summary>
        ReadPooled,

        /// <summary><see cref="IscsiSession.WriteAsync"/> from the slot's buffer.</summary>
        Write,
    }

    /// <summary>Commands per benchmark invocation: amortizes the blocking hand-off to the benchmark thread.</summary>
    public const int Commands = 256;

    private const int IoBytes = 4096;
    private const ulong Lba = 2048;
    private const int MaxDepth = 8;

    private readonly ValueTask[] _slots = new ValueTask[MaxDepth];
    private readonly byte[][] _buffers = Enumerable.Range(0, MaxDepth).Select(_ => new byte[IoBytes]).ToArray();
    private readonly ManualResetEventSlim _done = new(false);
    private FakeTargetConnector? _mover;
    private FakeTarget? _target;
    private IscsiSession? _session;
    private Action? _signal;

    private IscsiSession Session => _session ?? throw new InvalidOperationException("GlobalSetup did not run.");

    /// <summary><see cref="IscsiSessionOptions.InlineCompletions"/>: continuations on the receive loop.</summary>
    [Params(false, true)]
    public bool Inline { get; set; }

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    public async Task SetupAsync()
    {
        _signal = _done.Set;
        _mover = new FakeTargetConnector();
        var options = new IscsiSessionOptions
        {
            Connector = _mover,
            Portal = _mover.Portal,
            TargetName = "iqn.2026-11.org.netscsi:fake",
            InitiatorName = "iqn.2026-11.org.netscsi:bench-initiator",
            InlineCompletions = Inline,
        };
        Task<IscsiSession> connect = IscsiSession.ConnectAsync(options);
        _target = new FakeTarget(await _mover.Accepted);
        _target.Start();
        _session = await connect;
        new Random(5).NextBytes(_buffers[0]);
        await _session.WriteAsync(0, Lba, _buffers[0]); // READ CAPACITY once, so WriteAsync knows the block size
    }

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    public async Task CleanupAsync()
    {
        if (_session is not null)
        {
            await _session.DisposeAsync();
        }

        if (_target is not null)
        {
            await _target.DisposeAsync();
        }
    }

    /// <summary>ReadAsync of 4 KiB at a fixed LBA, one at a time.</summary>
    [Benchmark(OperationsPerInvoke = Commands)]
    public void Read4K() => Run(Operation.Read, Commands, 1);

    /// <summary>WriteAsync of 4 KiB (immediate data) at a fixed LBA, one at a time.</summary>
    [Benchmark(OperationsPerInvoke = Commands)]
    public void Write4K() => Run(Operation.Write, Commands, 1);

    /// <summary>As <see cref="Read4K"/> with 8 commands outstanding.</summary>
    [Benchmark(OperationsPerInvoke = Commands)]
    public void Read4KQD8() => Run(Operation.Read, Commands, 8);

    /// <summary>As <see cref="Read4KQD8"/> into arrays the session rents as the data arrives.</summary>
    [Benchmark(OperationsPerInvoke = Commands)]
    public void ReadPooled4KQD8() => Run(Operation.ReadPooled, Commands, 8);

    /// <summary>As <see cref="Write4K"/> with 8 commands outstanding.</summary>
    [Benchmark(OperationsPerInvoke = Commands)]
    public void Write4KQD8() => Run(Operation.Write, Commands, 8);

    /// <summary>Runs <paramref name="count"/> commands, <paramref name="depth"/> outstanding, and blocks until done (for the allocation probe too).</summary>
    internal void Run(Operation operation, int count, int depth)
    {
        ValueTask pending = RunAsync(operation, count, depth);
        if (!pending.IsCompleted)
        {
            // Block without allocating: a cached callback sets a reusable event.
            _done.Reset();
            pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_signal!);
            _done.Wait();
        }

        pending.GetAwaiter().GetResult();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask RunAsync(Operation operation, int count, int depth)
    {
        int issued = 0;
        for (; issued < depth && issued < count; issued++)
        {
            _slots[issued] = Issue(operation, issued);
        }

        for (int done = 0; done < count; done++)
        {
            int slot = done % depth;
            await _slots[slot].ConfigureAwait(false);
            if (issued < count)
            {
                _slots[slot] = Issue(operation, slot);
                issued++;
            }
        }
    }

    private ValueTask Issue(Operation operation, int slot) => operation switch
    {
        Operation.Read => Session.ReadAsync(0, Lba, IoBytes / FakeTarget.BlockSize, _buffers[slot]),
        Operation.ReadPooled => ReadPooledAsync(),
        _ => Session.WriteAsync(0, Lba, _buffers[slot]),
    };

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReadPooledAsync()
    {
        using PooledReadBuffer data = await Session.ReadPooledAsync(0, Lba, IoBytes / FakeTarget.BlockSize).ConfigureAwait(false);
    }
}
