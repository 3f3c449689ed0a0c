using System.Runtime.InteropServices;

namespace NetScsi.Transport.Tcp;

/// <summary>
/// The Linux socket calls .NET does not expose: send with MSG_MORE, non-blocking recv without the runtime's
/// asynchronous machinery, and sendfile(2). Used only when
/// <see cref="IsSupported"/> (64-bit Linux: off_t and size_t are 64-bit, which these signatures assume).
/// Errno values and flags are Linux's (the same on x64 and arm64).
/// </summary>
internal static partial class SocketInterop
{
    internal const int EINTR = 4;
    internal const int EAGAIN = 11;

    // sys/socket.h
    internal const int MSG_DONTWAIT = 0x40;
    internal const int MSG_NOSIGNAL = 0x4000;
    internal const int MSG_MORE = 0x8000;

    // fcntl.h
    internal const int F_GETFL = 3;
    internal const int F_SETFL = 4;
    internal const int O_NONBLOCK = 0x800;

    private const string LibC = "libc";

    internal static bool IsSupported { get; } = OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    // sys/resource.h
    internal const int RLIMIT_NOFILE = 7;

    [StructLayout(LayoutKind.Sequential)]
    internal struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport(LibC, EntryPoint = "getrlimit", SetLastError = true)]
    internal static partial int GetRLimit(int resource, out RLimit limit);

    [LibraryImport(LibC, EntryPoint = "send", SetLastError = true)]
    internal static unsafe partial nint Send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(LibC, EntryPoint = "recv", SetLastError = true)]
    internal static unsafe partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(LibC, EntryPoint = "sendfile", SetLastError = true)]
    internal static partial nint SendFile(int outFd, int inFd, ref long offset, nuint count);

    [LibraryImport(LibC, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int command, int argument);
}
