using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;

namespace NetScsi.IpOverScsi.Tun;

/// <summary>
/// A Linux TUN interface (IFF_TUN | IFF_NO_PI: each read(2) is one whole IP datagram, each write(2) hands one to the
/// stack, no packet information header). The interface lives as long as this object: disposing it closes the file
/// descriptor, and the kernel removes the (non-persistent) interface with its addresses and routes.
/// Creating one needs CAP_NET_ADMIN; without it <see cref="Create"/> throws a <see cref="TunException"/> that says so.
/// </summary>
public sealed unsafe class TunInterface : IDatagramPort
{
    private const string ClonePath = "/dev/net/tun";

    private readonly int _fd;
    private readonly int _wakeFd;
    private readonly CancellationTokenRegistration[] _registration = new CancellationTokenRegistration[1];
    private CancellationToken _registeredToken;
    private int _disposed;

    private TunInterface(int fd, int wakeFd, string name, int mtu)
    {
        _fd = fd;
        _wakeFd = wakeFd;
        Name = name;
        Mtu = mtu;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public int Mtu { get; }

    /// <summary>Creates the interface, sets its MTU (and address, mask, queue length when given) and brings it up.</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="TunException">The kernel refused: no /dev/net/tun, no CAP_NET_ADMIN, a name in use, ...</exception>
    public static TunInterface Create(TunInterfaceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is string invalid)
        {
            throw new ArgumentException(invalid, nameof(options));
        }
        if (!TunInterop.IsSupported)
        {
            throw new TunException("TUN interfaces need 64-bit Linux.", TunInterop.ENODEV);
        }

        int fd = TunInterop.Open(ClonePath, TunInterop.O_RDWR | TunInterop.O_NONBLOCK | TunInterop.O_CLOEXEC);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw errno switch
            {
                TunInterop.ENOENT or TunInterop.ENODEV => new TunException($"{ClonePath} does not exist: load the tun module (modprobe tun) or give the container the device.", errno),
                TunInterop.EPERM or TunInterop.EACCES => new TunException($"Opening {ClonePath} was refused: creating a TUN interface needs CAP_NET_ADMIN (run as root).", errno),
                _ => new TunException($"Opening {ClonePath} failed: {Describe(errno)}.", errno),
            };
        }

        int wakeFd = -1;
        int control = -1;
        try
        {
            var request = TunInterop.InterfaceRequest.For(options.Name);
            request.Flags = TunInterop.IFF_TUN | TunInterop.IFF_NO_PI;
            if (TunInterop.Ioctl(fd, TunInterop.TUNSETIFF, &request) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw errno switch
                {
                    TunInterop.EPERM or TunInterop.EACCES => new TunException($"Creating TUN interface '{options.Name}' was refused: it needs CAP_NET_ADMIN (run as root).", errno),
                    TunInterop.EBUSY => new TunException($"Interface '{options.Name}' exists and is in use by another process.", errno),
                    TunInterop.EINVAL => new TunException($"Interface '{options.Name}' exists and is not a TUN interface, or the name is not valid.", errno),
                    _ => new TunException($"Creating TUN interface '{options.Name}' failed: {Describe(errno)}.", errno),
                };
            }
            string name = request.ReadName();

            control = TunInterop.Socket(TunInterop.AF_INET, TunInterop.SOCK_DGRAM | TunInterop.SOCK_CLOEXEC, 0);
            if (control < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new TunException($"Opening a socket to configure '{name}' failed: {Describe(errno)}.", errno);
            }

            var mtu = TunInterop.InterfaceRequest.For(name);
            mtu.Value = options.Mtu;
            Configure(control, TunInterop.SIOCSIFMTU, &mtu, name, $"setting MTU {options.Mtu}");

            if (options.TransmitQueueLength is int queueLength)
            {
                var txq = TunInterop.InterfaceRequest.For(name);
                txq.Value = queueLength;
                Configure(control, TunInterop.SIOCSIFTXQLEN, &txq, name, $"setting the transmit queue length {queueLength}");
            }

            if (options.Address is IPAddress address)
            {
                var addr = TunInterop.InterfaceRequest.For(name);
                addr.AddressFamily = TunInterop.AF_INET;
                addr.Address = ToInAddr(address);
                Configure(control, TunInterop.SIOCSIFADDR, &addr, name, $"setting address {address}");

                var mask = TunInterop.InterfaceRequest.For(name);
                mask.AddressFamily = TunInterop.AF_INET;
                Span<byte> maskBytes = stackalloc byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(maskBytes, PrefixMask(options.PrefixLength));
                mask.Address = MemoryMarshal.Read<uint>(maskBytes);
                Configure(control, TunInterop.SIOCSIFNETMASK, &mask, name, $"setting prefix length {options.PrefixLength}");
            }

            var flags = TunInterop.InterfaceRequest.For(name);
            Configure(control, TunInterop.SIOCGIFFLAGS, &flags, name, "reading its flags");
            flags.Flags |= TunInterop.IFF_UP;
            Configure(control, TunInterop.SIOCSIFFLAGS, &flags, name, "bringing it up");

            wakeFd = TunInterop.EventFd(0, TunInterop.EFD_NONBLOCK | TunInterop.EFD_CLOEXEC);
            if (wakeFd < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new TunException($"eventfd failed: {Describe(errno)}.", errno);
            }
            TunInterop.Close(control);
            return new TunInterface(fd, wakeFd, name, options.Mtu);
        }
        catch
        {
            if (control >= 0)
            {
                TunInterop.Close(control);
            }
            if (wakeFd >= 0)
            {
                TunInterop.Close(wakeFd);
            }
            TunInterop.Close(fd);
            throw;
        }
    }

    /// <inheritdoc/>
    public int Receive(Span<byte> buffer, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (buffer.Length < Mtu)
        {
            throw new ArgumentException($"The buffer must hold the MTU ({Mtu} bytes).", nameof(buffer));
        }
        if (cancellationToken.CanBeCanceled && cancellationToken != _registeredToken)
        {
            _registration[0].Dispose();
            _registeredToken = cancellationToken;
            _registration[0] = cancellationToken.UnsafeRegister(static state => ((TunInterface)state!).Wake(), this);
        }

        var fds = stackalloc TunInterop.PollFd[2];
        fixed (byte* destination = buffer)
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                nint read = TunInterop.Read(_fd, destination, (nuint)buffer.Length);
                if (read >= 0)
                {
                    return (int)read;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == TunInterop.EINTR)
                {
                    continue;
                }
                if (errno != TunInterop.EAGAIN)
                {
                    throw new IOException($"Reading from TUN interface '{Name}' failed: {Describe(errno)}.");
                }
                fds[0] = new TunInterop.PollFd { Fd = _fd, Events = TunInterop.POLLIN };
                fds[1] = new TunInterop.PollFd { Fd = _wakeFd, Events = TunInterop.POLLIN };
                if (TunInterop.Poll(fds, 2, -1) < 0 && Marshal.GetLastPInvokeError() != TunInterop.EINTR)
                {
                    throw new IOException($"Waiting on TUN interface '{Name}' failed: {Describe(Marshal.GetLastPInvokeError())}.");
                }
            }
        }
    }

    /// <inheritdoc/>
    public bool TrySend(ReadOnlySpan<byte> datagram)
    {
        if (Volatile.Read(ref _disposed) != 0 || datagram.IsEmpty)
        {
            return false;
        }
        fixed (byte* source = datagram)
        {
            while (true)
            {
                nint written = TunInterop.Write(_fd, source, (nuint)datagram.Length);
                if (written >= 0)
                {
                    return true;
                }
                if (Marshal.GetLastPInvokeError() != TunInterop.EINTR)
                {
                    // EAGAIN (the stack's backlog is full), EINVAL (not an IP datagram): dropped, as a NIC drops.
                    return false;
                }
            }
        }
    }

    /// <summary>Closes the interface; the kernel removes it with its addresses and routes.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _registration[0].Dispose();
        Wake();
        TunInterop.Close(_fd);
        TunInterop.Close(_wakeFd);
    }

    private void Wake()
    {
        ulong one = 1;
        TunInterop.Write(_wakeFd, (byte*)&one, sizeof(ulong));
    }

    private static void Configure(int control, uint request, TunInterop.InterfaceRequest* argument, string name, string what)
    {
        if (TunInterop.Ioctl(control, request, argument) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new TunException(
                errno is TunInterop.EPERM or TunInterop.EACCES
                    ? $"Configuring '{name}' ({what}) was refused: it needs CAP_NET_ADMIN (run as root)."
                    : $"Configuring '{name}' ({what}) failed: {Describe(errno)}.",
                errno);
        }
    }

    /// <summary>An IPv4 address as the kernel's in_addr (network byte order in memory).</summary>
    private static uint ToInAddr(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return MemoryMarshal.Read<uint>(bytes);
    }

    internal static uint PrefixMask(int prefixLength) => prefixLength == 0 ? 0u : uint.MaxValue << (32 - prefixLength);

    private static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno) + $" (errno {errno})";
}
