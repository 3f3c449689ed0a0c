using System.Runtime.InteropServices;

namespace NetScsi.IpOverScsi.Tun;

/// <summary>
/// The Linux calls a TUN interface needs and .NET does not expose: open(2) of /dev/net/tun, ioctl(2) TUNSETIFF and
/// the SIOCSIF* requests (MTU, flags, IPv4 address and mask) on a datagram socket, read(2)/write(2) of whole
/// datagrams, poll(2) and an eventfd(2) to wake a blocked reader. Constants are Linux's (linux/if_tun.h,
/// linux/sockios.h, linux/if.h), the same on x64 and arm64.
/// </summary>
internal static partial class TunInterop
{
    internal const int EPERM = 1;
    internal const int ENOENT = 2;
    internal const int EINTR = 4;
    internal const int EAGAIN = 11;
    internal const int EACCES = 13;
    internal const int EBUSY = 16;
    internal const int ENODEV = 19;
    internal const int EINVAL = 22;

    // fcntl.h
    internal const int O_RDWR = 0x2;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_CLOEXEC = 0x80000;

    // linux/if_tun.h: _IOW('T', 202, int)
    internal const uint TUNSETIFF = 0x400454CA;
    internal const short IFF_TUN = 0x0001;
    internal const short IFF_NO_PI = 0x1000;

    // linux/sockios.h
    internal const uint SIOCGIFFLAGS = 0x8913;
    internal const uint SIOCSIFFLAGS = 0x8914;
    internal const uint SIOCSIFADDR = 0x8916;
    internal const uint SIOCSIFNETMASK = 0x891C;
    internal const uint SIOCSIFMTU = 0x8922;
    internal const uint SIOCSIFTXQLEN = 0x8943;

    // linux/if.h
    internal const short IFF_UP = 0x1;
    internal const int IFNAMSIZ = 16;

    internal const int AF_INET = 2;
    internal const int SOCK_DGRAM = 2;
    internal const int SOCK_CLOEXEC = 0x80000;

    internal const short POLLIN = 0x1;

    internal const int EFD_NONBLOCK = 0x800;
    internal const int EFD_CLOEXEC = 0x80000;

    private const string LibC = "libc";

    internal static bool IsSupported { get; } = OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    [LibraryImport(LibC, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags);

    [LibraryImport(LibC, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(LibC, EntryPoint = "ioctl", SetLastError = true)]
    internal static unsafe partial int Ioctl(int fd, nuint request, void* argument);

    [LibraryImport(LibC, EntryPoint = "read", SetLastError = true)]
    internal static unsafe partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport(LibC, EntryPoint = "write", SetLastError = true)]
    internal static unsafe partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport(LibC, EntryPoint = "poll", SetLastError = true)]
    internal static unsafe partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport(LibC, EntryPoint = "eventfd", SetLastError = true)]
    internal static partial int EventFd(uint initialValue, int flags);

    [LibraryImport(LibC, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }

    /// <summary>
    /// struct ifreq (40 bytes on 64-bit Linux): the interface name, then a union of which these requests use the
    /// flags (short), the MTU or queue length (int), or a struct sockaddr_in (family, port, IPv4 address).
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    internal unsafe struct InterfaceRequest
    {
        [FieldOffset(0)]
        public fixed byte Name[IFNAMSIZ];

        [FieldOffset(16)]
        public short Flags;

        [FieldOffset(16)]
        public int Value;

        [FieldOffset(16)]
        public ushort AddressFamily;

        [FieldOffset(20)]
        public uint Address;

        public static InterfaceRequest For(string name)
        {
            var request = default(InterfaceRequest);
            int length = System.Text.Encoding.ASCII.GetBytes(name, new Span<byte>(request.Name, IFNAMSIZ - 1));
            request.Name[length] = 0;
            return request;
        }

        public string ReadName()
        {
            fixed (byte* name = Name)
            {
                return Marshal.PtrToStringAnsi((nint)name) ?? string.Empty;
            }
        }
    }
}
