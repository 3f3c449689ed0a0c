using System.Runtime.InteropServices;

namespace NetScsi.Scsi.Storage;

/// <summary>
/// The few Linux file calls .NET does not wrap: hole punching, hole/data seeking, fdatasync, fsync of a directory
/// and the filesystem type (fstatfs).
/// Only used when <see cref="IsSupported"/>: off_t is 64-bit in a 64-bit Linux process, which these
/// signatures assume. Errno values are Linux's (asm-generic/errno*.h, the same on x64 and arm64).
/// </summary>
internal static partial class LinuxFileInterop
{
    // linux/falloc.h
    internal const int FALLOC_FL_KEEP_SIZE = 0x01;
    internal const int FALLOC_FL_PUNCH_HOLE = 0x02;

    // unistd.h (Linux 3.1+)
    internal const int SEEK_DATA = 3;
    internal const int SEEK_HOLE = 4;

    internal const int EINTR = 4;
    internal const int ENXIO = 6;
    internal const int ENOSYS = 38;
    internal const int EOPNOTSUPP = 95;

    // "libc" resolves to the C library on Linux (the runtime maps it to libc.so.6 on glibc).
    private const string LibC = "libc";

    internal static bool IsSupported { get; } = OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    // linux/magic.h
    private const long TMPFS_MAGIC = 0x01021994;
    private const long RAMFS_MAGIC = 0x858458f6;

    /// <summary>struct statfs is 120 bytes on 64-bit Linux (x64 and arm64); f_type is its first field (a long).</summary>
    private const int StatFsSize = 120;

    [LibraryImport(LibC, EntryPoint = "fstatfs", SetLastError = true)]
    private static unsafe partial int Fstatfs(int fd, byte* buffer);

    /// <summary>True when the open file lives on tmpfs or ramfs (its pages are memory; reading never touches a disk).</summary>
    internal static unsafe bool IsOnMemoryFileSystem(SafeHandle file)
    {
        if (!IsSupported)
        {
            return false;
        }
        byte* buffer = stackalloc byte[StatFsSize];
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            if (Fstatfs((int)file.DangerousGetHandle(), buffer) != 0)
            {
                return false;
            }
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
        long type = *(long*)buffer;
        return type is TMPFS_MAGIC or RAMFS_MAGIC;
    }

    [LibraryImport(LibC, EntryPoint = "fallocate", SetLastError = true)]
    internal static partial int Fallocate(int fd, int mode, long offset, long length);

    [LibraryImport(LibC, EntryPoint = "lseek", SetLastError = true)]
    internal static partial long Lseek(int fd, long offset, int whence);

    [LibraryImport(LibC, EntryPoint = "fdatasync", SetLastError = true)]
    internal static partial int Fdatasync(int fd);

    [LibraryImport(LibC, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags);

    [LibraryImport(LibC, EntryPoint = "fsync", SetLastError = true)]
    internal static partial int Fsync(int fd);

    [LibraryImport(LibC, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    /// <summary>
    /// Best effort: fsync a directory so a rename inside it is on stable storage (O_RDONLY = 0 opens a
    /// directory on Linux). Failures are ignored: the rename itself has happened.
    /// </summary>
    internal static void SyncDirectory(string directory)
    {
        if (!IsSupported)
        {
            return;
        }
        int fd = Open(directory, 0);
        if (fd >= 0)
        {
            _ = Fsync(fd);
            _ = Close(fd);
        }
    }

    internal static IOException ErrnoException(string call, string path, int errno) =>
        new($"{call} failed on '{path}': {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).", errno);
}
