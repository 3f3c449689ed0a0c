using System.Diagnostics;
using NetScsi.Cli.Configuration;

namespace NetScsi.Cli.Copy;

/// <summary>What a copy did.</summary>
internal sealed record CopyResult(long Bytes, long DataBytes, long ZeroBytes, IReadOnlyDictionary<ZeroMethod, long> ZeroBytesByMethod, TimeSpan Elapsed, bool Verified);

/// <summary>
/// Copies source to destination in chunks with several chunks in flight. With sparse detection on,
/// each chunk is split into runs of all-zero and non-zero blocks: data runs are written, zero runs
/// (at least <see cref="MinZeroRun"/> bytes, or the whole chunk) go through
/// <see cref="ICopyEndpoint.WriteZerosAsync"/>. Verification re-reads both sides and compares.
/// </summary>
internal sealed class CopyEngine
{
    /// <summary>Shorter zero runs inside data are written as data: one command instead of three.</summary>
    public const int MinZeroRun = 64 * 1024;

    private readonly ICopyEndpoint _source;
    private readonly ICopyEndpoint _destination;
    private readonly int _chunkBytes;
    private readonly int _queueDepth;
    private readonly bool _sparse;
    private readonly long[] _zeroByMethod = new long[4];
    private long _progress;
    private long _dataBytes;

    public CopyEngine(ICopyEndpoint source, ICopyEndpoint destination, int chunkBytes, int queueDepth, bool sparse)
    {
        _source = source;
        _destination = destination;
        _queueDepth = queueDepth;
        _sparse = sparse;
        int unit = Lcm(source.BlockSize, destination.BlockSize);
        _chunkBytes = Math.Max(unit, chunkBytes / unit * unit);
        Granularity = destination.BlockSize == 1 ? 4096 : destination.BlockSize;
        Unit = unit;
    }

    /// <summary>Bytes per sparse decision (the destination's block, 4 KiB for a file).</summary>
    public int Granularity { get; }

    /// <summary>Both sides' block sizes divide this.</summary>
    public int Unit { get; }

    /// <summary>Bytes copied (or verified) so far, for progress display.</summary>
    public long Progress => Interlocked.Read(ref _progress);

    /// <summary>The copy length: the source length (a LUN destination gets the last block zero-padded).</summary>
    public long Total => _source.Length;

    /// <summary>Current phase, for progress display.</summary>
    public string Phase { get; private set; } = "copy";

    public async Task<CopyResult> RunAsync(bool verify, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        long total = Total;
        long destinationLength = (total + _destination.BlockSize - 1) / _destination.BlockSize * _destination.BlockSize;
        await _destination.PrepareDestinationAsync(destinationLength, cancellationToken).ConfigureAwait(false);

        await RunChunksAsync(total, CopyChunkAsync, cancellationToken).ConfigureAwait(false);
        await _destination.FlushAsync(cancellationToken).ConfigureAwait(false);
        var elapsed = stopwatch.Elapsed;

        if (verify)
        {
            Phase = "verify";
            Interlocked.Exchange(ref _progress, 0);
            await RunChunksAsync(total, VerifyChunkAsync, cancellationToken).ConfigureAwait(false);
        }

        var byMethod = new Dictionary<ZeroMethod, long>();
        for (int i = 0; i < _zeroByMethod.Length; i++)
        {
            if (_zeroByMethod[i] > 0)
            {
                byMethod[(ZeroMethod)i] = _zeroByMethod[i];
            }
        }

        return new CopyResult(total, _dataBytes, byMethod.Values.Sum(), byMethod, elapsed, verify);
    }

    private async Task RunChunksAsync(long total, Func<long, int, byte[], byte[], CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        long chunks = (total + _chunkBytes - 1) / _chunkBytes;
        long next = -1;
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        async Task WorkerAsync()
        {
            byte[] buffer = GC.AllocateUninitializedArray<byte>(_chunkBytes, pinned: true);
            byte[] second = GC.AllocateUninitializedArray<byte>(_chunkBytes, pinned: true);
            try
            {
                for (long index = Interlocked.Increment(ref next); index < chunks; index = Interlocked.Increment(ref next))
                {
                    long offset = index * _chunkBytes;
                    int length = (int)Math.Min(_chunkBytes, total - offset);
                    await work(offset, length, buffer, second, failed.Token).ConfigureAwait(false);
                    Interlocked.Add(ref _progress, length);
                }
            }
            catch
            {
                // Stop the other workers; the first failure is what the user sees.
                await failed.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }

        var workers = Enumerable.Range(0, (int)Math.Clamp(chunks, 1, _queueDepth)).Select(_ => Task.Run(WorkerAsync, CancellationToken.None)).ToArray();
        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        catch
        {
            // Prefer a real error over the cancellations it caused in the other workers.
            var first = workers.Where(w => w.IsFaulted).Select(w => w.Exception!.InnerException!).FirstOrDefault(e => e is not OperationCanceledException);
            if (first is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
            }

            throw;
        }
    }

    private async Task CopyChunkAsync(long offset, int length, byte[] buffer, byte[] unused, CancellationToken cancellationToken)
    {
        // A LUN source's length is whole blocks, so reading `length` is; a file source zero-fills past its end.
        // Round up to the destination's block: the tail of a file is padded with zeros on a LUN.
        int padded = (length + Unit - 1) / Unit * Unit;
        var data = buffer.AsMemory(0, padded);
        await _source.ReadAsync(offset, data[..length], cancellationToken).ConfigureAwait(false);
        if (padded > length)
        {
            data.Span[length..].Clear();
        }

        if (!_sparse)
        {
            await WriteDataAsync(offset, data, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Runs of zero / non-zero granules; zero runs shorter than MinZeroRun join the data around them.
        int granule = Granularity;
        int position = 0;
        int dataStart = 0;
        while (position < padded)
        {
            int zeroStart = position;
            while (position < padded && IsZero(data.Span.Slice(position, Math.Min(granule, padded - position))))
            {
                position += Math.Min(granule, padded - position);
            }

            int zeroLength = position - zeroStart;
            if (zeroLength > 0 && (zeroLength >= MinZeroRun || zeroLength == padded))
            {
                if (zeroStart > dataStart)
                {
                    await WriteDataAsync(offset + dataStart, data[dataStart..zeroStart], cancellationToken).ConfigureAwait(false);
                }

                var method = await _destination.WriteZerosAsync(offset + zeroStart, zeroLength, cancellationToken).ConfigureAwait(false);
                Interlocked.Add(ref _zeroByMethod[(int)method], zeroLength);
                dataStart = position;
            }

            while (position < padded && !IsZero(data.Span.Slice(position, Math.Min(granule, padded - position))))
            {
                position += Math.Min(granule, padded - position);
            }
        }

        if (padded > dataStart)
        {
            await WriteDataAsync(offset + dataStart, data[dataStart..padded], cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WriteDataAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _destination.WriteAsync(offset, data, cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _dataBytes, data.Length);
    }

    private async Task VerifyChunkAsync(long offset, int length, byte[] expected, byte[] actual, CancellationToken cancellationToken)
    {
        int padded = (length + Unit - 1) / Unit * Unit;
        await _source.ReadAsync(offset, expected.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        await _destination.ReadAsync(offset, actual.AsMemory(0, _destination.BlockSize == 1 ? length : padded), cancellationToken).ConfigureAwait(false);
        var a = expected.AsSpan(0, length);
        var b = actual.AsSpan(0, length);
        int mismatch = a.CommonPrefixLength(b);
        if (mismatch < length)
        {
            throw new CliException(ExitCodes.DataMismatch,
                $"verify failed: {_destination.Name} differs from {_source.Name} at byte {offset + mismatch} (block {(offset + mismatch) / Math.Max(1, _destination.BlockSize)})");
        }
    }

    private static bool IsZero(ReadOnlySpan<byte> span) => span.IndexOfAnyExcept((byte)0) < 0;

    private static int Lcm(int a, int b)
    {
        int x = a, y = b;
        while (y != 0)
        {
            (x, y) = (y, x % y);
        }

        return a / x * b;
    }
}
