using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using NetScsi.Scsi.Storage;
using NetScsi.Storage.Rbd.Interop;

namespace NetScsi.Storage.Rbd;

/// <summary>
/// A logical unit backed by a Ceph RBD image, through librbd's C API. Reads and writes go straight between the
/// caller's buffers and librbd (pinned while in flight) as asynchronous librbd calls whose completion callback
/// finishes a pooled <see cref="ValueTask"/> source: any number outstanding, no thread per I/O, no allocation per I/O.
/// </summary>
/// <remarks>
/// <para>UNMAP and WRITE SAME with UNMAP reach <see cref="UnmapAsync"/>, which is rbd_aio_write_zeroes: librbd
/// deallocates the whole objects in the range and zeroes or truncates the rest, so unmapped blocks read as zeros
/// exactly (rbd_aio_discard skips pieces smaller than rbd_discard_granularity_bytes). SYNCHRONIZE CACHE is
/// rbd_aio_flush; a FUA write is followed by one when librbd's cache is on (without it a completed write is already
/// on the OSDs). GET LBA STATUS comes from rbd_diff_iterate2.</para>
/// <para>Identity is the cluster fsid, pool id and image id, so every gateway that opens the image reports the same
/// NAA and serial. A resize outside is picked up through an update watch (the logical unit then reports CAPACITY DATA
/// HAS CHANGED). A cluster that stops answering fails I/O after the operation timeout with NOT READY.</para>
/// </remarks>
public sealed partial class RbdBlockDevice : IWriteSameBlockDevice, ICompareAndWriteBlockDevice
{
    private readonly RadosConnection _connection;
    private readonly ConcurrentQueue<RbdOperation> _pool = new();
    private readonly ConcurrentBag<RbdOperation> _all = new();
    private readonly string _name;
    private readonly string _identity;
    private readonly int _blockSize;
    private readonly bool _readOnly;
    private readonly bool _flushAfterFua;
    private readonly long _stripeUnit;
    private readonly long _compareAndWriteUnit;
    private readonly GCHandle _self;
    private nint _image;
    private long _blockCount;
    private ulong _watchHandle;
    private bool _watching;
    private int _outstanding;
    private int _disposed;

    private RbdBlockDevice(RadosConnection connection, nint image, RbdImageOptions options, long blockCount, string imageId, long stripeUnit)
    {
        _stripeUnit = stripeUnit;
        _compareAndWriteUnit = CompareAndWriteUnit(stripeUnit);
        _connection = connection;
        _image = image;
        _name = options.ToString();
        _blockSize = options.BlockSize;
        _readOnly = options.ReadOnly;
        _blockCount = blockCount;
        _identity = $"rbd:{connection.Fsid}/{connection.PoolId}/{imageId}";
        ImageId = imageId;
        // rbd cache = false (what a LUN backend wants) makes every completed write durable; with the cache on, FUA needs a flush.
        _flushAfterFua = connection.GetConf("rbd_cache") is not ("false" or "0");
        _self = GCHandle.Alloc(this, GCHandleType.Weak);
    }

    /// <summary>
    /// Connects to the cluster and opens the image. Blocks for up to <see cref="RbdImageOptions.ConnectTimeout"/>.
    /// </summary>
    /// <exception cref="RbdException">librbd missing, no configuration, cluster unreachable, no such pool or image.</exception>
    public static unsafe RbdBlockDevice Open(RbdImageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Image);
        if (options.BlockSize is not (512 or 4096))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.BlockSize, "The block size must be 512 or 4096.");
        }

        var connection = RadosConnection.Open(options.Pool, options.ConfigPath, options.ClientId, options.ConnectTimeout, options.OperationTimeout);
        nint image = 0;
        try
        {
            int rc = options.ReadOnly
                ? LibRbd.OpenReadOnly(connection.IoContext, options.Image, out image, null)
                : LibRbd.Open(connection.IoContext, options.Image, out image, null);
            if (rc < 0)
            {
                throw new RbdException(rc == -RbdErrors.ENOENT
                    ? $"pool '{options.Pool}' has no RBD image '{options.Image}' (create it with: rbd create --size SIZE {options})"
                    : $"cannot open RBD image {options}: {RbdErrors.Describe(-rc)} (errno {-rc})", -rc);
            }

            long blockCount = ReadBlockCount(image, options.BlockSize, options.ToString());
            if (blockCount <= 0)
            {
                throw new RbdException($"RBD image {options} is smaller than one {options.BlockSize}-byte block", 22);
            }

            byte* id = stackalloc byte[128];
            rc = LibRbd.GetId(image, id, 128);
            if (rc < 0)
            {
                throw new RbdException($"rbd_get_id on {options} failed: {RbdErrors.Describe(-rc)} (errno {-rc})", -rc);
            }

            rc = LibRbd.GetStripeUnit(image, out ulong stripeUnit);
            if (rc < 0)
            {
                throw new RbdException($"rbd_get_stripe_unit on {options} failed: {RbdErrors.Describe(-rc)} (errno {-rc})", -rc);
            }

            var device = new RbdBlockDevice(connection, image, options, blockCount, Marshal.PtrToStringUTF8((nint)id)!, (long)stripeUnit);
            device.WatchForResize();
            return device;
        }
        catch
        {
            if (image != 0)
            {
                _ = LibRbd.Close(image);
            }

            connection.Dispose();
            throw;
        }
    }

    /// <summary>"POOL/IMAGE".</summary>
    public string Name => _name;

    /// <summary>The image's id in its pool (rbd_get_id): stays the same across renames.</summary>
    public string ImageId { get; }

    public int BlockSize => _blockSize;

    public long BlockCount => Volatile.Read(ref _blockCount);

    /// <summary>4 KiB (or the block size if larger): writes aligned to it need no read-modify-write on the OSDs.</summary>
    public int PhysicalBlockSize => Math.Max(_blockSize, 4096);

    public bool IsReadOnly => _readOnly;

    public bool SupportsUnmap => true;

    public bool UnmappedReadsZero => true;

    /// <summary><c>rbd:FSID/POOL-ID/IMAGE-ID</c>: the same on every gateway and across renames, different for every image.</summary>
    public string Identity => _identity;

    public unsafe ValueTask ReadAsync(long lba, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfInvalidTransfer(lba, buffer.Length);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (buffer.IsEmpty)
        {
            return default;
        }

        Enter();
        RbdOperation operation = Rent();
        long offset = lba * _blockSize;
        MemoryHandle pin = buffer.Pin();
        nint completion = PrepareOrLeave(operation, RbdOperationKind.Read, offset, pin, buffer.Length);
        int rc = LibRbd.AioRead(_image, (ulong)offset, (nuint)buffer.Length, (byte*)pin.Pointer, completion);
        return rc < 0 ? FailSubmit(operation, completion, rc) : new ValueTask(operation, operation.Version);
    }

    public unsafe ValueTask WriteAsync(long lba, ReadOnlyMemory<byte> buffer, bool forceUnitAccess, CancellationToken cancellationToken = default)
    {
        ThrowIfNotWritable();
        ThrowIfInvalidTransfer(lba, buffer.Length);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (buffer.IsEmpty)
        {
            return default;
        }

        Enter();
        RbdOperation operation = Rent();
        long offset = lba * _blockSize;
        MemoryHandle pin = buffer.Pin();
        // A write's completion returns 0, not a byte count.
        nint completion = PrepareOrLeave(operation, RbdOperationKind.Write, offset, pin, -1);
        int rc = LibRbd.AioWrite(_image, (ulong)offset, (nuint)buffer.Length, (byte*)pin.Pointer, completion);
        if (rc < 0)
        {
            return FailSubmit(operation, completion, rc);
        }

        var write = new ValueTask(operation, operation.Version);
        return forceUnitAccess && _flushAfterFua ? WriteThenFlushAsync(write) : write;
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (_readOnly)
        {
            return default;
        }

        Enter();
        RbdOperation operation = Rent();
        nint completion = PrepareOrLeave(operation, RbdOperationKind.Flush, 0, default, -1);
        int rc = LibRbd.AioFlush(_image, completion);
        return rc < 0 ? FailSubmit(operation, completion, rc) : new ValueTask(operation, operation.Version);
    }

    public ValueTask UnmapAsync(long lba, long blockCount, CancellationToken cancellationToken = default)
    {
        ThrowIfNotWritable();
        ThrowIfInvalidRange(lba, blockCount);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (blockCount == 0)
        {
            return default;
        }

        long offset = lba * _blockSize;
        long length = blockCount * _blockSize;
        // rbd_aio_write_zeroes takes a size_t: fine on 64-bit, but keep each call within what librbd's
        // byte counts (ssize_t returns) handle comfortably.
        const long MaxPiece = 1L << 30;
        if (length <= MaxPiece)
        {
            return WriteZeroes(offset, length);
        }

        return UnmapInPiecesAsync(offset, length, MaxPiece);
    }

    /// <summary>
    /// rbd_aio_writesame, in pieces of at most 1 GiB (librbd refuses lengths past INT_MAX). librbd turns an all-zero
    /// pattern into a discard that zeroes partial objects (rbd_discard_on_zeroed_write_same), so it reads back as zeros.
    /// </summary>
    public ValueTask WriteSameAsync(long lba, long blockCount, ReadOnlyMemory<byte> block, bool forceUnitAccess, CancellationToken cancellationToken = default)
    {
        ThrowIfNotWritable();
        ThrowIfInvalidRange(lba, blockCount);
        if (block.Length != _blockSize)
        {
            throw new ArgumentException($"The pattern is {block.Length} bytes, not one {_blockSize}-byte block.", nameof(block));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (blockCount == 0)
        {
            return default;
        }

        long offset = lba * _blockSize;
        long length = blockCount * _blockSize;
        const long MaxPiece = 1L << 30;
        ValueTask write = length <= MaxPiece ? WriteSame(offset, length, block) : WriteSameInPiecesAsync(offset, length, block, MaxPiece);
        return forceUnitAccess && _flushAfterFua ? WriteThenFlushAsync(write) : write;
    }

    /// <summary>
    /// True when the range lies within one unit librbd compares and writes atomically: a stripe unit (an object for
    /// unstriped images), or with a librbd older than 18 (Reef), which refuses anything else, a 512-byte sector.
    /// </summary>
    public bool CanCompareAndWrite(long lba, int blockCount)
    {
        if (lba < 0 || blockCount <= 0 || lba > long.MaxValue / _blockSize)
        {
            return false;
        }

        long offset = lba * _blockSize;
        return (offset % _compareAndWriteUnit) + ((long)blockCount * _blockSize) <= _compareAndWriteUnit;
    }

    /// <summary>
    /// rbd_aio_compare_and_write: the compare and the write are one operation on the OSD holding the object, atomic with
    /// respect to every other write, from this gateway or any other. librbd's mismatch offset becomes the range offset.
    /// </summary>
    public unsafe ValueTask<long> CompareAndWriteAsync(long lba, ReadOnlyMemory<byte> compare, ReadOnlyMemory<byte> write, bool forceUnitAccess, CancellationToken cancellationToken = default)
    {
        ThrowIfNotWritable();
        ThrowIfInvalidTransfer(lba, compare.Length);
        if (write.Length != compare.Length)
        {
            throw new ArgumentException($"The write data is {write.Length} bytes, the compare data {compare.Length}.", nameof(write));
        }

        if (compare.IsEmpty || !CanCompareAndWrite(lba, compare.Length / _blockSize))
        {
            throw new ArgumentOutOfRangeException(nameof(lba), lba, $"librbd cannot compare and write {compare.Length} bytes at block {lba} atomically (see CanCompareAndWrite).");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<long>(cancellationToken);
        }

        Enter();
        RbdOperation operation = Rent();
        long offset = lba * _blockSize;
        MemoryHandle comparePin = compare.Pin();
        MemoryHandle writePin;
        try
        {
            writePin = write.Pin();
        }
        catch
        {
            comparePin.Dispose();
            Interlocked.Decrement(ref _outstanding);
            _pool.Enqueue(operation);
            throw;
        }

        nint completion;
        try
        {
            completion = operation.Prepare(RbdOperationKind.CompareAndWrite, offset, compare.Length, comparePin, writePin, -1);
        }
        catch
        {
            Interlocked.Decrement(ref _outstanding);
            _pool.Enqueue(operation);
            throw;
        }

        nint rc = LibRbd.AioCompareAndWrite(_image, (ulong)offset, (nuint)compare.Length, (byte*)comparePin.Pointer, (byte*)writePin.Pointer,
            completion, operation.MismatchSlot, 0);
        if (rc < 0)
        {
            Exception exception = operation.FailToSubmit(completion, (int)rc);
            Interlocked.Decrement(ref _outstanding);
            _pool.Enqueue(operation);
            return ValueTask.FromException<long>(exception);
        }

        var compareAndWrite = new ValueTask<long>(operation, operation.Version);
        return forceUnitAccess && _flushAfterFua ? CompareAndWriteThenFlushAsync(compareAndWrite) : compareAndWrite;
    }

    /// <remarks>
    /// rbd_diff_iterate2 from the image's creation (no snapshot), so every extent it reports holds data; the gaps are
    /// deallocated. It runs synchronously in librbd, so on a pool thread, over a window of at most 256 MiB: a longer
    /// deallocated run is reported as 256 MiB and the next call continues it.
    /// </remarks>
    public ValueTask<AllocationExtent> GetAllocationStatusAsync(long lba, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        long blockCount = BlockCount;
        if ((ulong)lba >= (ulong)blockCount)
        {
            ThrowOutOfRange(lba, 1, blockCount);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<AllocationExtent>(cancellationToken);
        }

        return new ValueTask<AllocationExtent>(Task.Run(() => QueryAllocation(lba, blockCount), cancellationToken));
    }

    /// <summary>Waits for the I/O in flight, flushes (unless read-only), closes the image and disconnects.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Task.Run(async () =>
        {
            // Operations already issued finish first: their callbacks and buffers must not outlive the image.
            while (Volatile.Read(ref _outstanding) > 0)
            {
                await Task.Delay(1).ConfigureAwait(false);
            }

            if (_watching)
            {
                _ = LibRbd.UpdateUnwatch(_image, _watchHandle);
            }

            // rbd_close flushes librbd's cache (if any) and releases the exclusive lock.
            _ = LibRbd.Close(_image);
            _image = 0;
            _connection.Dispose();
            foreach (RbdOperation operation in _all)
            {
                operation.FreeHandle();
            }

            _self.Free();
        }).ConfigureAwait(false);
    }

    /// <summary>Creates an image (format 2, the configuration's default features); <paramref name="order"/> is log2 of the object size.</summary>
    internal static void CreateImage(RbdImageOptions options, long sizeBytes, int order = 22)
    {
        using var connection = RadosConnection.Open(options.Pool, options.ConfigPath, options.ClientId, options.ConnectTimeout, options.OperationTimeout);
        int rc = LibRbd.Create(connection.IoContext, options.Image, (ulong)sizeBytes, ref order);
        if (rc < 0)
        {
            throw new RbdException($"rbd_create {options} failed: {RbdErrors.Describe(-rc)} (errno {-rc})", -rc);
        }
    }

    /// <summary>Removes an image; false when there was none.</summary>
    internal static bool RemoveImage(RbdImageOptions options)
    {
        using var connection = RadosConnection.Open(options.Pool, options.ConfigPath, options.ClientId, options.ConnectTimeout, options.OperationTimeout);
        int rc = LibRbd.Remove(connection.IoContext, options.Image);
        return rc == -RbdErrors.ENOENT ? false : rc >= 0 ? true
            : throw new RbdException($"rbd_remove {options} failed: {RbdErrors.Describe(-rc)} (errno {-rc})", -rc);
    }

    internal void OnOperationCompleted() => Interlocked.Decrement(ref _outstanding);

    internal void Return(RbdOperation operation) => _pool.Enqueue(operation);

    private RbdOperation Rent()
    {
        if (_pool.TryDequeue(out RbdOperation? operation))
        {
            return operation;
        }

        operation = new RbdOperation(this);
        _all.Add(operation);
        return operation;
    }

    private nint PrepareOrLeave(RbdOperation operation, RbdOperationKind kind, long offset, MemoryHandle pin, long expectedBytes)
    {
        try
        {
            return operation.Prepare(kind, offset, pin, expectedBytes);
        }
        catch
        {
            Interlocked.Decrement(ref _outstanding);
            _pool.Enqueue(operation);
            throw;
        }
    }

    private ValueTask FailSubmit(RbdOperation operation, nint completion, int rc)
    {
        Exception exception = operation.FailToSubmit(completion, rc);
        Interlocked.Decrement(ref _outstanding);
        _pool.Enqueue(operation);
        return ValueTask.FromException(exception);
    }

    private ValueTask WriteZeroes(long offset, long length)
    {
        Enter();
        RbdOperation operation = Rent();
        nint completion = PrepareOrLeave(operation, RbdOperationKind.WriteZeroes, offset, default, -1);
        int rc = LibRbd.AioWriteZeroes(_image, (ulong)offset, (nuint)length, completion, 0, 0);
        return rc < 0 ? FailSubmit(operation, completion, rc) : new ValueTask(operation, operation.Version);
    }

    private async ValueTask UnmapInPiecesAsync(long offset, long length, long piece)
    {
        while (length > 0)
        {
            long count = Math.Min(length, piece);
            await WriteZeroes(offset, count).ConfigureAwait(false);
            offset += count;
            length -= count;
        }
    }

    private unsafe ValueTask WriteSame(long offset, long length, ReadOnlyMemory<byte> block)
    {
        Enter();
        RbdOperation operation = Rent();
        MemoryHandle pin = block.Pin();
        nint completion = PrepareOrLeave(operation, RbdOperationKind.WriteSame, offset, pin, -1);
        int rc = LibRbd.AioWriteSame(_image, (ulong)offset, (nuint)length, (byte*)pin.Pointer, (nuint)block.Length, completion, 0);
        return rc < 0 ? FailSubmit(operation, completion, rc) : new ValueTask(operation, operation.Version);
    }

    private async ValueTask WriteSameInPiecesAsync(long offset, long length, ReadOnlyMemory<byte> block, long piece)
    {
        while (length > 0)
        {
            long count = Math.Min(length, piece);
            await WriteSame(offset, count, block).ConfigureAwait(false);
            offset += count;
            length -= count;
        }
    }

    private async ValueTask<long> CompareAndWriteThenFlushAsync(ValueTask<long> compareAndWrite)
    {
        long differs = await compareAndWrite.ConfigureAwait(false);
        if (differs < 0)
        {
            await FlushAsync().ConfigureAwait(false);
        }

        return differs;
    }

    /// <summary>
    /// librbd's mismatch offset (an image offset) as an offset into the compared range starting at
    /// <paramref name="offset"/>. librbd 16 (Pacific) maps the OSD's offset, which counts from the start of the
    /// compared extent, as if it counted from the start of the object: its figure is then that far into the stripe
    /// unit holding the object's first byte, and only its place within the stripe unit means anything (measured: range at
    /// image byte 4196864, first difference at its byte 37, librbd 16.2.15 says 4194341). A figure that fits neither
    /// reading (none seen) becomes offset 0: the command is still MISCOMPARE, and nothing was written.
    /// </summary>
    internal long MismatchInRange(long offset, long length, ulong imageOffset)
    {
        long reported = (long)imageOffset;
        if (reported >= offset && reported - offset < length)
        {
            return reported - offset;
        }

        long withinUnit = reported % _stripeUnit;
        return withinUnit < length ? withinUnit : 0;
    }

    private static long CompareAndWriteUnit(long stripeUnit) =>
        NativeLibrary.TryLoad(LibRbd.Library, out nint library) && NativeLibrary.TryGetExport(library, "rbd_aio_compare_and_writev", out _)
            ? stripeUnit
            : Math.Min(512, stripeUnit);

    private async ValueTask WriteThenFlushAsync(ValueTask write)
    {
        await write.ConfigureAwait(false);
        await FlushAsync().ConfigureAwait(false);
    }

    private unsafe AllocationExtent QueryAllocation(long lba, long blockCount)
    {
        const long Window = 256L << 20;
        long bs = _blockSize;
        long start = lba * bs;
        long end = Math.Min(blockCount * bs, start + Window);
        var extents = new List<(long Offset, long Length)>();
        GCHandle handle = GCHandle.Alloc(extents);
        int rc;
        Enter();
        try
        {
            rc = LibRbd.DiffIterate2(_image, null, (ulong)start, (ulong)(end - start), includeParent: 1, wholeObject: 0, &OnDiffExtent, GCHandle.ToIntPtr(handle));
        }
        finally
        {
            handle.Free();
            Interlocked.Decrement(ref _outstanding);
        }

        if (rc < 0)
        {
            throw RbdErrors.ToException(rc, "rbd_diff_iterate2", _name);
        }

        extents.Sort();
        // The first block wholly or partly data is mapped; a run continues while extents touch or overlap it.
        long endBlock = end / bs;
        long firstData = -1;
        long mappedEnd = -1;
        foreach ((long offset, long length) in extents)
        {
            long from = Math.Max(offset, start);
            long to = Math.Min(offset + length, end);
            if (to <= from)
            {
                continue;
            }

            if (firstData < 0)
            {
                firstData = from;
                mappedEnd = to;
            }
            else if (from <= RoundUp(mappedEnd, bs))
            {
                mappedEnd = Math.Max(mappedEnd, to);
            }
            else
            {
                break;
            }
        }

        if (firstData < 0)
        {
            return new AllocationExtent(lba, endBlock - lba, Mapped: false);
        }

        long firstDataBlock = firstData / bs;
        if (firstDataBlock > lba)
        {
            return new AllocationExtent(lba, firstDataBlock - lba, Mapped: false);
        }

        long mappedEndBlock = Math.Min(RoundUp(mappedEnd, bs) / bs, blockCount);
        return new AllocationExtent(lba, Math.Max(1, mappedEndBlock - lba), Mapped: true);
    }

    private static long RoundUp(long value, long unit) => (value + unit - 1) / unit * unit;

    [UnmanagedCallersOnly]
    private static int OnDiffExtent(ulong offset, nuint length, int exists, nint arg)
    {
        try
        {
            if (exists != 0)
            {
                var extents = (List<(long, long)>)GCHandle.FromIntPtr(arg).Target!;
                extents.Add(((long)offset, (long)length));
            }

            return 0;
        }
        catch
        {
            return -RbdErrors.EIO;
        }
    }

    private unsafe void WatchForResize()
    {
        if (LibRbd.UpdateWatch(_image, out ulong handle, &OnImageUpdated, GCHandle.ToIntPtr(_self)) >= 0)
        {
            _watchHandle = handle;
            _watching = true;
        }
    }

    /// <summary>The image's header changed (resize, features, snapshots): re-read the size off librbd's thread.</summary>
    [UnmanagedCallersOnly]
    private static void OnImageUpdated(nint arg)
    {
        try
        {
            if (GCHandle.FromIntPtr(arg).Target is RbdBlockDevice device)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static d => d.RefreshSize(), device, preferLocal: false);
            }
        }
        catch
        {
            // Nothing may escape into librbd; a missed refresh shows at the next update.
        }
    }

    private void RefreshSize()
    {
        if (Volatile.Read(ref _disposed) != 0 || _image == 0)
        {
            return;
        }

        try
        {
            Enter();
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        try
        {
            if (LibRbd.GetSize(_image, out ulong size) >= 0 && (long)(size / (ulong)_blockSize) is long count and > 0)
            {
                Volatile.Write(ref _blockCount, count);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _outstanding);
        }
    }

    private static long ReadBlockCount(nint image, int blockSize, string name)
    {
        int rc = LibRbd.GetSize(image, out ulong size);
        if (rc < 0)
        {
            throw new RbdException($"rbd_get_size on {name} failed: {RbdErrors.Describe(-rc)} (errno {-rc})", -rc);
        }

        return (long)(size / (ulong)blockSize);
    }

    /// <summary>Counts an operation in flight, or throws if the device is disposed (the image may be closing).</summary>
    private void Enter()
    {
        Interlocked.Increment(ref _outstanding);
        if (Volatile.Read(ref _disposed) != 0)
        {
            Interlocked.Decrement(ref _outstanding);
            ObjectDisposedException.ThrowIf(true, this);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private void ThrowIfNotWritable()
    {
        ThrowIfDisposed();
        if (_readOnly)
        {
            throw new InvalidOperationException($"The RBD image {_name} is open read-only.");
        }
    }

    private void ThrowIfInvalidTransfer(long lba, int byteLength)
    {
        ThrowIfDisposed();
        if ((byteLength & (_blockSize - 1)) != 0)
        {
            throw new ArgumentException($"The buffer length {byteLength} is not a whole number of {_blockSize}-byte blocks.", "buffer");
        }

        ThrowIfInvalidRange(lba, byteLength / _blockSize);
    }

    private void ThrowIfInvalidRange(long lba, long count)
    {
        long blockCount = BlockCount;
        if ((ulong)lba > (ulong)blockCount || (ulong)count > (ulong)(blockCount - lba))
        {
            ThrowOutOfRange(lba, count, blockCount);
        }
    }

    [DoesNotReturn]
    private static void ThrowOutOfRange(long lba, long count, long blockCount) =>
        throw new ArgumentOutOfRangeException(nameof(lba), lba, $"Blocks [{lba}, {lba} + {count}) are outside the device's {blockCount} blocks.");
}
