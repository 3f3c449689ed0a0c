using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace NetScsi.Scsi.Storage;

/// <summary>
/// A logical unit backed by a (sparse) file. Data moves through <see cref="RandomAccess"/> on one
/// asynchronous handle, so any number of reads and writes are outstanding at once with no lock.
/// On Linux, unmap punches holes (fallocate) and allocation status comes from SEEK_DATA/SEEK_HOLE.
/// A file on a memory filesystem (tmpfs, ramfs) also offers its blocks to the transport for sending
/// straight from the file (<see cref="IStoredDataBlockDevice"/>, <see cref="IFileDataSource"/>).
/// </summary>
/// <remarks>
/// A read-write device holds an exclusive advisory lock on the file (.NET's FileShare.None is flock
/// LOCK_EX on Unix), so a second target cannot write the same backing file underneath this one.
/// </remarks>
public sealed class FileBlockDevice : IStoredDataBlockDevice, IFileDataSource, IResizableBlockDevice
{
    // Fallback unmap on filesystems that cannot punch holes: zeros written in 256 KiB pieces.
    private static readonly ReadOnlyMemory<byte> s_zeros = new byte[256 * 1024];
    private static readonly Action<object?> s_flushToDisk = static state => ((FileBlockDevice)state!).FlushToDisk();

    private readonly SafeFileHandle _handle;
    private readonly string _path;
    private readonly int _blockSize;
    private long _blockCount;
    private readonly bool _readOnly;
    private readonly bool _inMemory;
    private volatile bool _punchHoles;
    private int _disposed;

    private FileBlockDevice(SafeFileHandle handle, string path, int blockSize, long blockCount, bool readOnly)
    {
        _handle = handle;
        _path = path;
        _blockSize = blockSize;
        _blockCount = blockCount;
        _readOnly = readOnly;
        _punchHoles = LinuxFileInterop.IsSupported;
        _inMemory = LinuxFileInterop.IsOnMemoryFileSystem(handle);
    }

    /// <summary>
    /// Opens <paramref name="path"/> as a block device, creating it (sparse, with its parent directory)
    /// when it does not exist.
    /// </summary>
    /// <param name="path">The backing file.</param>
    /// <param name="sizeBytes">
    /// Device size, a positive multiple of <paramref name="blockSize"/>. Required to create the file. For an
    /// existing file, null means "the file's length"; a larger size extends the file sparsely; a smaller
    /// one is refused, since shrinking would drop data.
    /// </param>
    /// <param name="blockSize">Logical block size: a power of two from 512 to 64 KiB.</param>
    /// <param name="readOnly">Open the file for reading only; writes and unmaps then throw <see cref="InvalidOperationException"/>.</param>
    /// <exception cref="FileNotFoundException">The file does not exist and no size was given, or <paramref name="readOnly"/> is set.</exception>
    /// <exception cref="ArgumentException">The size or the file's length does not fit the rules above.</exception>
    public static FileBlockDevice Open(string path, long? sizeBytes, int blockSize = 512, bool readOnly = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        BlockDeviceGuard.ValidateBlockSize(blockSize);
        if (sizeBytes is { } size)
        {
            BlockDeviceGuard.ValidateGeometry(size, blockSize);
        }

        string fullPath = System.IO.Path.GetFullPath(path);
        bool created = false;
        SafeFileHandle handle;
        if (File.Exists(fullPath))
        {
            handle = File.OpenHandle(fullPath, FileMode.Open, readOnly ? FileAccess.Read : FileAccess.ReadWrite,
                readOnly ? FileShare.Read : FileShare.None, FileOptions.Asynchronous);
        }
        else
        {
            if (sizeBytes is null)
            {
                throw new FileNotFoundException($"The backing file '{fullPath}' does not exist; give a size to create it.", fullPath);
            }

            if (readOnly)
            {
                throw new FileNotFoundException($"The backing file '{fullPath}' does not exist, and a read-only device cannot create it.", fullPath);
            }

            // The directory must exist: creating a tree here would turn a typo in the path into a new
            // directory and an empty disk. Callers that want it created do so themselves.
            handle = File.OpenHandle(fullPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.Asynchronous);
            created = true;
        }

        try
        {
            long length = RandomAccess.GetLength(handle);
            long deviceSize;
            if (sizeBytes is { } requested)
            {
                if (requested < length)
                {
                    throw new ArgumentException(
                        $"The size {requested} is smaller than the existing backing file '{fullPath}' ({length} bytes); shrinking would lose data.",
                        nameof(sizeBytes));
                }

                if (requested > length)
                {
                    if (readOnly)
                    {
                        throw new ArgumentException(
                            $"The size {requested} is larger than the backing file '{fullPath}' ({length} bytes), which a read-only device cannot extend.",
                            nameof(sizeBytes));
                    }

                    // ftruncate: the new tail is a hole, so creating or growing costs no disk space.
                    RandomAccess.SetLength(handle, requested);
                }

                deviceSize = requested;
            }
            else
            {
                if (length == 0 || length % blockSize != 0)
                {
                    throw new ArgumentException(
                        $"The backing file '{fullPath}' is {length} bytes, not a positive multiple of the {blockSize}-byte block size; give a size to extend it.",
                        nameof(sizeBytes));
                }

                deviceSize = length;
            }

            return new FileBlockDevice(handle, fullPath, blockSize, deviceSize / blockSize, readOnly);
        }
        catch
        {
            handle.Dispose();
            if (created)
            {
                File.Delete(fullPath);
            }

            throw;
        }
    }

    /// <summary>The backing file's full path.</summary>
    public string FilePath => _path;

    /// <summary>Makes unmap take the zero-writing path, as on a filesystem that refuses hole punching (tests).</summary>
    internal void DisableHolePunching() => _punchHoles = false;

    public int BlockSize => _blockSize;

    /// <summary>
    /// 4 KiB (or the block size if larger): the allocation unit of the usual Linux file systems (ext4, XFS,
    /// btrfs, tmpfs), so the granularity of hole punching and of writes that need no read-modify-write.
    /// </summary>
    public int PhysicalBlockSize => Math.Max(_blockSize, 4096);

    public long BlockCount => Volatile.Read(ref _blockCount);

    /// <inheritdoc/>
    public long MaxBlockCount => long.MaxValue / _blockSize;

    /// <inheritdoc/>
    /// <remarks>ftruncate: a grown tail is a hole (no disk space until written); a shrink drops the tail's blocks.</remarks>
    public ValueTask ResizeAsync(long blockCount, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (_readOnly)
        {
            BlockDeviceGuard.ThrowReadOnly();
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(blockCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(blockCount, MaxBlockCount);
        long old = Volatile.Read(ref _blockCount);
        if (blockCount < old)
        {
            // The range check moves first, so no new command reaches the blocks that go.
            Volatile.Write(ref _blockCount, blockCount);
            RandomAccess.SetLength(_handle, blockCount * _blockSize);
        }
        else
        {
            // The file grows first, so a command admitted at the new size finds its blocks.
            RandomAccess.SetLength(_handle, blockCount * _blockSize);
            Volatile.Write(ref _blockCount, blockCount);
        }

        return ValueTask.CompletedTask;
    }

    public bool IsReadOnly => _readOnly;

    /// <summary>
    /// True on Linux, where unmap punches holes. Turns false for good if the filesystem refuses
    /// (EOPNOTSUPP); unmap then writes zeros, which keeps <see cref="UnmappedReadsZero"/> but frees nothing.
    /// </summary>
    public bool SupportsUnmap => _punchHoles;

    /// <summary>True: holes and zero-filled ranges both read as zeros.</summary>
    public bool UnmappedReadsZero => true;

    /// <summary>"file:" and the full path: the same across restarts, different for every backing file.</summary>
    public string Identity => "file:" + _path;

    /// <inheritdoc/>
    /// <remarks>
    /// Only for a file on tmpfs or ramfs: reading it never waits for a disk and cannot fail with EIO, so a
    /// sender that reads it late and under its connection's send lock neither stalls nor loses an error.
    /// </remarks>
    public bool TryGetStoredData(long lba, long blockCount, out StoredData data)
    {
        ThrowIfDisposed();
        BlockDeviceGuard.ThrowIfInvalidRange(lba, blockCount, BlockCount);
        data = new StoredData(this, lba * _blockSize, (int)Math.Min(int.MaxValue, blockCount * _blockSize));
        return _inMemory;
    }

    /// <inheritdoc/>
    SafeFileHandle IFileDataSource.File => _handle;

    /// <inheritdoc/>
    void IStoredDataSource.Read(long offset, Span<byte> destination)
    {
        ThrowIfDisposed();
        int read = RandomAccess.Read(_handle, destination, offset);
        if (read < destination.Length)
        {
            throw new IOException($"The file {_path} ended at byte {offset + read}, inside a stored read of {destination.Length} bytes.");
        }
    }

    public ValueTask ReadAsync(long lba, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        BlockDeviceGuard.ThrowIfInvalidTransfer(lba, buffer.Length, _blockSize, BlockCount);
        long offset = lba * _blockSize;
        if (_inMemory)
        {
            // tmpfs/ramfs: pread is a memory copy that never waits for a disk, cheaper done here than handed
            // to a pool thread (RandomAccess's asynchronous path on Unix) and waited for.
            int copied;
            try
            {
                copied = RandomAccess.Read(_handle, buffer.Span, offset);
            }
            catch (IOException e)
            {
                return ValueTask.FromException(e);
            }

            return copied == buffer.Length ? default : ReadRemainderAsync(buffer[copied..], offset + copied, copied, cancellationToken);
        }

        ValueTask<int> read = RandomAccess.ReadAsync(_handle, buffer, offset, cancellationToken);
        if (read.IsCompletedSuccessfully)
        {
            int count = read.Result;
            return count == buffer.Length ? default : ReadRemainderAsync(buffer[count..], offset + count, count, cancellationToken);
        }

        return AwaitReadAsync(read, buffer, offset, cancellationToken);
    }

    /// <remarks>
    /// Without <paramref name="forceUnitAccess"/> the data may sit in the page cache until
    /// <see cref="FlushAsync"/>, which is what SBC-4 allows for a write cache (WCE=1). With it, the file's
    /// data is synced (fdatasync) after the write: that syncs more than this range, but sync_file_range
    /// would not flush the disk's cache or the block allocation of a sparse file, so it cannot promise FUA.
    /// </remarks>
    public ValueTask WriteAsync(long lba, ReadOnlyMemory<byte> buffer, bool forceUnitAccess, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (_readOnly)
        {
            BlockDeviceGuard.ThrowReadOnly();
        }

        BlockDeviceGuard.ThrowIfInvalidTransfer(lba, buffer.Length, _blockSize, BlockCount);
        ValueTask write;
        if (_inMemory)
        {
            // As for reads: a memory copy, done here. It also keeps the writers to one file few; on tmpfs they
            // serialize on the inode lock anyway, and a crowd of pool threads spinning on it cost the first pass
            // over a fresh sparse file most of its CPU.
            try
            {
                RandomAccess.Write(_handle, buffer.Span, lba * _blockSize);
                write = default;
            }
            catch (IOException e)
            {
                write = ValueTask.FromException(e);
            }
        }
        else
        {
            write = RandomAccess.WriteAsync(_handle, buffer, lba * _blockSize, cancellationToken);
        }

        return forceUnitAccess ? WriteThroughAsync(write, cancellationToken) : write;
    }

    /// <summary>fdatasync on a thread-pool thread (it blocks for as long as the disk takes).</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (_readOnly)
        {
            return cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled(cancellationToken) : default;
        }

        return new ValueTask(Task.Factory.StartNew(s_flushToDisk, this, cancellationToken, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default));
    }

    public ValueTask UnmapAsync(long lba, long blockCount, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (_readOnly)
        {
            BlockDeviceGuard.ThrowReadOnly();
        }

        BlockDeviceGuard.ThrowIfInvalidRange(lba, blockCount, BlockCount);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        return blockCount == 0 ? default : new ValueTask(UnmapCoreAsync(lba * _blockSize, blockCount * _blockSize, cancellationToken));
    }

    /// <remarks>
    /// A device block is mapped when any byte of it is data, so a block the filesystem only partly
    /// deallocated reads as mapped (SBC-4 GET LBA STATUS: "mapped or unknown" is always a safe answer).
    /// Where SEEK_DATA is unavailable, the whole device is reported mapped.
    /// </remarks>
    public ValueTask<AllocationExtent> GetAllocationStatusAsync(long lba, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        BlockDeviceGuard.ThrowIfInvalidLba(lba, BlockCount);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<AllocationExtent>(cancellationToken);
        }

        return ValueTask.FromResult(LinuxFileInterop.IsSupported
            ? QueryAllocation(lba)
            : new AllocationExtent(lba, BlockCount - lba, Mapped: true));
    }

    /// <summary>Flushes (unless read-only), then closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (!_readOnly)
            {
                await Task.Factory.StartNew(s_flushToDisk, this, CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default)
                    .ConfigureAwait(false);
            }
        }
        finally
        {
            _handle.Dispose();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitReadAsync(ValueTask<int> read, Memory<byte> buffer, long offset, CancellationToken cancellationToken)
    {
        int count = await read.ConfigureAwait(false);
        if (count != buffer.Length)
        {
            await ReadRemainderAsync(buffer[count..], offset + count, count, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// pread on a regular file only comes up short at end of file, which inside the device means the
    /// file was truncated under us: a medium error, not zeros.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReadRemainderAsync(Memory<byte> buffer, long offset, int lastCount, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            if (lastCount == 0)
            {
                throw new IOException($"The backing file '{_path}' ended at byte {offset}, inside the device; was it truncated?");
            }

            lastCount = await RandomAccess.ReadAsync(_handle, buffer, offset, cancellationToken).ConfigureAwait(false);
            buffer = buffer[lastCount..];
            offset += lastCount;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteThroughAsync(ValueTask write, CancellationToken cancellationToken)
    {
        await write.ConfigureAwait(false);
        await Task.Factory.StartNew(s_flushToDisk, this, cancellationToken, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default)
            .ConfigureAwait(false);
    }

    private async Task UnmapCoreAsync(long offset, long length, CancellationToken cancellationToken)
    {
        if (_punchHoles && await Task.Run(() => TryPunchHole(offset, length), cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        // SBC-4 LBPRZ: with no way to deallocate, zeros still give the reads the device promises.
        while (length > 0)
        {
            int count = (int)Math.Min(length, s_zeros.Length);
            await RandomAccess.WriteAsync(_handle, s_zeros[..count], offset, cancellationToken).ConfigureAwait(false);
            offset += count;
            length -= count;
        }
    }

    /// <summary>Punches a hole; false (and no more tries) when the filesystem cannot.</summary>
    private bool TryPunchHole(long offset, long length)
    {
        bool addedRef = false;
        try
        {
            _handle.DangerousAddRef(ref addedRef);
            int fd = (int)_handle.DangerousGetHandle();
            while (true)
            {
                // KEEP_SIZE: a hole at the end must not shorten the file (the kernel requires it with PUNCH_HOLE).
                if (LinuxFileInterop.Fallocate(fd, LinuxFileInterop.FALLOC_FL_PUNCH_HOLE | LinuxFileInterop.FALLOC_FL_KEEP_SIZE, offset, length) == 0)
                {
                    return true;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno == LinuxFileInterop.EINTR)
                {
                    continue;
                }

                if (errno is LinuxFileInterop.EOPNOTSUPP or LinuxFileInterop.ENOSYS)
                {
                    _punchHoles = false;
                    return false;
                }

                throw LinuxFileInterop.ErrnoException("fallocate(PUNCH_HOLE)", _path, errno);
            }
        }
        finally
        {
            if (addedRef)
            {
                _handle.DangerousRelease();
            }
        }
    }

    private void FlushToDisk()
    {
        if (!LinuxFileInterop.IsSupported)
        {
            RandomAccess.FlushToDisk(_handle);
            return;
        }

        bool addedRef = false;
        try
        {
            _handle.DangerousAddRef(ref addedRef);
            int fd = (int)_handle.DangerousGetHandle();
            // fdatasync, not fsync: it still writes the metadata needed to read the data back (block
            // allocation of a sparse file) and skips timestamps. An error here (EIO) means written data
            // may be lost, so it must reach the initiator.
            while (LinuxFileInterop.Fdatasync(fd) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno != LinuxFileInterop.EINTR)
                {
                    throw LinuxFileInterop.ErrnoException("fdatasync", _path, errno);
                }
            }
        }
        finally
        {
            if (addedRef)
            {
                _handle.DangerousRelease();
            }
        }
    }

    private AllocationExtent QueryAllocation(long lba)
    {
        bool addedRef = false;
        try
        {
            _handle.DangerousAddRef(ref addedRef);
            int fd = (int)_handle.DangerousGetHandle();
            long blockSize = _blockSize;
            long size = BlockCount * blockSize;

            long data = SeekData(fd, lba * blockSize);
            if (data < 0 || data >= size)
            {
                return new AllocationExtent(lba, BlockCount - lba, Mapped: false);
            }

            long dataBlock = data / blockSize;
            if (dataBlock > lba)
            {
                return new AllocationExtent(lba, dataBlock - lba, Mapped: false);
            }

            // lba holds data. The mapped run goes on while each next block holds any data: find the hole
            // after the data, and stop at the first block that lies wholly inside a hole.
            long hole = SeekHole(fd, data, size);
            while (true)
            {
                long endBlock = (hole + blockSize - 1) / blockSize; // the first block that may be all hole
                if (endBlock >= BlockCount)
                {
                    return new AllocationExtent(lba, BlockCount - lba, Mapped: true);
                }

                long next = SeekData(fd, hole);
                if (next < 0 || next >= (endBlock + 1) * blockSize)
                {
                    return new AllocationExtent(lba, endBlock - lba, Mapped: true);
                }

                hole = SeekHole(fd, next, size);
            }
        }
        finally
        {
            if (addedRef)
            {
                _handle.DangerousRelease();
            }
        }
    }

    /// <summary>The first data byte at or after <paramref name="offset"/>, or -1 when only hole follows (ENXIO).</summary>
    private long SeekData(int fd, long offset)
    {
        long result = LinuxFileInterop.Lseek(fd, offset, LinuxFileInterop.SEEK_DATA);
        if (result >= 0)
        {
            return result;
        }

        int errno = Marshal.GetLastPInvokeError();
        return errno == LinuxFileInterop.ENXIO ? -1 : throw LinuxFileInterop.ErrnoException("lseek(SEEK_DATA)", _path, errno);
    }

    /// <summary>The first hole byte at or after <paramref name="offset"/>; the end of the file counts as a hole.</summary>
    private long SeekHole(int fd, long offset, long size)
    {
        long result = LinuxFileInterop.Lseek(fd, offset, LinuxFileInterop.SEEK_HOLE);
        if (result >= 0)
        {
            return Math.Min(result, size);
        }

        int errno = Marshal.GetLastPInvokeError();
        return errno == LinuxFileInterop.ENXIO ? size : throw LinuxFileInterop.ErrnoException("lseek(SEEK_HOLE)", _path, errno);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
