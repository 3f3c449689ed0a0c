using System.Diagnostics;
using NetScsi.Iscsi.Initiator;

namespace NetScsi.Cli.Bench;

/// <summary>
/// What a benchmark run measured. <paramref name="UserCpu"/> and <paramref name="SystemCpu"/> are this process's
/// CPU time during the measured window (fio's usr/sys): with the I/O rate they give the initiator's cost per I/O,
/// a steadier comparison with other initiators than throughput on a machine whose cores the target shares.
/// </summary>
internal sealed record BenchResult(
    long Ios,
    long ReadIos,
    long WriteIos,
    long Bytes,
    TimeSpan Elapsed,
    LatencyHistogram Latency,
    TimeSpan UserCpu,
    TimeSpan SystemCpu)
{
    public double Iops => Ios / Elapsed.TotalSeconds;

    /// <summary>User-mode CPU as a percentage of one core over the window.</summary>
    public double UserCpuPercent => UserCpu / Elapsed * 100;

    /// <summary>Kernel-mode CPU as a percentage of one core over the window.</summary>
    public double SystemCpuPercent => SystemCpu / Elapsed * 100;

    /// <summary>Process CPU time (user + kernel) per counted I/O, in microseconds.</summary>
    public double CpuMicrosecondsPerIo => Ios == 0 ? 0 : (UserCpu + SystemCpu).TotalMicroseconds / Ios;

    public double MegabytesPerSecond => Bytes / Elapsed.TotalSeconds / 1e6;

    public double MebibytesPerSecond => Bytes / Elapsed.TotalSeconds / (1024.0 * 1024.0);
}

/// <summary>
/// Sessions × queue-depth workers, each looping one read or write at a time, timing each I/O with Stopwatch
/// timestamps into its own histogram. Reads land in an array the session rents as the data arrives
/// (<see cref="IscsiSession.ReadPooledAsync"/>, given back at once) or, with fixed buffers, in the worker's own
/// pre-allocated buffer as with fio; writes all send one fixed random buffer. Sequential patterns share one
/// cursor per run; random ones draw block-size-aligned offsets uniformly over the LUN (or <c>--size</c>).
/// </summary>
internal sealed class BenchRunner
{
    private readonly IReadOnlyList<IScsiBlockIo> _sessions;
    private readonly ulong _lun;
    private readonly BenchPattern _pattern;
    private readonly int _ioBytes;
    private readonly uint _ioBlocks;
    private readonly int _queueDepth;
    private readonly long _slots;
    private readonly byte[] _writeData;
    private readonly bool _pooledReads;
    private long _cursor = -1;
    private volatile bool _stop;

    /// <summary>False during the ramp: I/Os run but are not counted.</summary>
    private volatile bool _measuring;
    private LiveSampler? _live;

    public BenchRunner(IReadOnlyList<IScsiBlockIo> sessions, ulong lun, BenchPattern pattern, int ioBytes, int lunBlockSize, long regionBytes, int queueDepth, bool pooledReads)
    {
        _sessions = sessions;
        _lun = lun;
        _pattern = pattern;
        _ioBytes = ioBytes;
        _ioBlocks = (uint)(ioBytes / lunBlockSize);
        _queueDepth = queueDepth;
        _slots = regionBytes / ioBytes;
        _pooledReads = pooledReads;
        _writeData = GC.AllocateUninitializedArray<byte>(ioBytes, pinned: true);
        Random.Shared.NextBytes(_writeData);
    }

    /// <summary>Runs the workers for <paramref name="rampTime"/> unmeasured (JIT, caches, queues settle), then <paramref name="duration"/> measured.</summary>
    /// <summary>
    /// Runs the workers for the ramp time, then measures for <paramref name="duration"/>. With
    /// <paramref name="onInterval"/>, every <paramref name="interval"/> of the measurement is reported as it ends.
    /// </summary>
    public async Task<BenchResult> RunAsync(TimeSpan rampTime, TimeSpan duration, CancellationToken cancellationToken,
        Action<BenchInterval>? onInterval = null, TimeSpan interval = default)
    {
        _live = onInterval is null ? null : new LiveSampler(LatencyHistogram.HighestTicks);
        var workers = new List<Worker>();
        foreach (var session in _sessions)
        {
            for (int i = 0; i < _queueDepth; i++)
            {
                workers.Add(new Worker(this, session));
            }
        }

        _measuring = rampTime <= TimeSpan.Zero;
        var tasks = workers.Select(w => Task.Run(() => w.RunAsync(cancellationToken), CancellationToken.None)).ToArray();
        var all = Task.WhenAll(tasks);
        if (!_measuring)
        {
            await Task.WhenAny(all, Task.Delay(rampTime, cancellationToken)).ConfigureAwait(false);
            _measuring = true;
        }

        var cpuAtStart = Environment.CpuUsage;
        var stopwatch = Stopwatch.StartNew();
        if (_live is null || onInterval is null)
        {
            await Task.WhenAny(all, Task.Delay(duration, cancellationToken)).ConfigureAwait(false);
        }
        else
        {
            _live.Restart();
            var step = interval > TimeSpan.Zero ? interval : TimeSpan.FromSeconds(1);
            for (var next = step; !all.IsCompleted && stopwatch.Elapsed < duration; next += step)
            {
                var wait = (next < duration ? next : duration) - stopwatch.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.WhenAny(all, Task.Delay(wait, cancellationToken)).ConfigureAwait(false);
                }

                if (!all.IsCompleted && next < duration)
                {
                    onInterval(_live.Sample(stopwatch.Elapsed));
                }
            }
        }

        _stop = true;
        try
        {
            await all.ConfigureAwait(false);
        }
        catch
        {
            var first = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault(e => e is not OperationCanceledException);
            if (first is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
            }

            throw;
        }

        var elapsed = stopwatch.Elapsed;
        var cpuAtEnd = Environment.CpuUsage;
        var histogram = new LatencyHistogram();
        long reads = 0, writes = 0;
        foreach (var worker in workers)
        {
            histogram.Add(worker.Histogram);
            reads += worker.Reads;
            writes += worker.Writes;
        }

        return new BenchResult(reads + writes, reads, writes, (reads + writes) * (long)_ioBytes, elapsed, histogram,
            cpuAtEnd.UserTime - cpuAtStart.UserTime, cpuAtEnd.PrivilegedTime - cpuAtStart.PrivilegedTime);
    }

    private sealed class Worker(BenchRunner runner, IScsiBlockIo session)
    {
        public LatencyHistogram Histogram { get; } = new();

        public long Reads { get; private set; }

        public long Writes { get; private set; }

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            var pattern = runner._pattern;
            ulong lun = runner._lun;
            uint blocks = runner._ioBlocks;
            long slots = runner._slots;
            bool pooledReads = runner._pooledReads;
            Memory<byte> readMemory = pooledReads ? default : GC.AllocateUninitializedArray<byte>(runner._ioBytes, pinned: true);
            ReadOnlyMemory<byte> writeMemory = runner._writeData;
            var random = new Random();
            bool randomOffsets = BenchPatterns.IsRandom(pattern);
            while (!runner._stop)
            {
                long slot = randomOffsets ? random.NextInt64(slots) : Interlocked.Increment(ref runner._cursor) % slots;
                ulong lba = (ulong)slot * blocks;
                bool write = pattern switch
                {
                    BenchPattern.Write or BenchPattern.RandWrite => true,
                    BenchPattern.RandRw => (random.Next() & 1) == 0,
                    _ => false,
                };
                long start = Stopwatch.GetTimestamp();
                if (write)
                {
                    await session.WriteAsync(lun, lba, writeMemory, fua: false, cancellationToken).ConfigureAwait(false);
                }
                else if (pooledReads)
                {
                    (await session.ReadPooledAsync(lun, lba, blocks, cancellationToken).ConfigureAwait(false)).Dispose();
                }
                else
                {
                    await session.ReadAsync(lun, lba, blocks, readMemory, cancellationToken).ConfigureAwait(false);
                }

                if (!runner._measuring)
                {
                    continue;
                }

                if (write)
                {
                    Writes++;
                }
                else
                {
                    Reads++;
                }

                long ticks = Stopwatch.GetTimestamp() - start;
                Histogram.Record(ticks);
                runner._live?.Record(ticks);
            }
        }
    }
}
