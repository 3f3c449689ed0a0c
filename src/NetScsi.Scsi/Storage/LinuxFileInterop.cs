using System.Runtime.InteropServices;

namespace NetScsi.Scsi.Storage;

/// <summary>
/// The few Linux file calls .NET does not wrap: hole punching, hole/data seeking, fdatasync and fsync of a directory.
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
