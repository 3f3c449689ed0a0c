using System.Runtime.InteropServices;
using System.Text;
using static NetScsi.Transport.Ethernet.PacketInterop;

namespace NetScsi.Transport.Ethernet;

/// <summary>
/// An AF_PACKET socket (SOCK_RAW) bound to one interface and to one EtherType (0x88B5, or AoE's 0x88A2 for the AoE
/// target), so that the kernel hands it our frames only (binding to a protocol filters in the kernel as a BPF program would); batched with
/// <c>recvmmsg</c>/<c>sendmmsg</c> over pinned buffers whose message headers are built once, and an <c>eventfd</c>
/// that wakes the poller's <c>poll</c>. Needs root or CAP_NET_RAW.
/// </summary>
internal sealed unsafe class PacketSocketLink : IFrameLink
{
    /// <summary>Socket buffers big enough for a few windows of jumbo frames: overflow here is loss on a quiet link.</summary>
    private const int SocketBufferSize = 16 * 1024 * 1024;

    private int _socket;
    private int _event;
    private readonly MMsgHdr* _receiveHeaders;
    private readonly IoVec* _receiveVectors;
    private readonly MMsgHdr* _sendHeaders;
    private readonly IoVec* _sendVectors;
    private readonly int _batchCapacity;
    private FrameBatch? _receiveBatch;
    private FrameBatch? _sendBatch;

    private PacketSocketLink(string name, int socket, int eventFd, MacAddress address, int mtu, int batchCapacity)
    {
        Name = name;
        _socket = socket;
        _event = eventFd;
        Address = address;
        Mtu = mtu;
        _batchCapacity = batchCapacity;
        _receiveHeaders = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)batchCapacity, (nuint)sizeof(MMsgHdr));
        _receiveVectors = (IoVec*)NativeMemory.AllocZeroed((nuint)batchCapacity, (nuint)sizeof(IoVec));
        _sendHeaders = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)batchCapacity, (nuint)sizeof(MMsgHdr));
        _sendVectors = (IoVec*)NativeMemory.AllocZeroed((nuint)batchCapacity, (nuint)sizeof(IoVec));
    }

    public string Name { get; }

    public MacAddress Address { get; }

    public int Mtu { get; }

    /// <summary>Frames the kernel cut short (larger than our buffer: an MTU mismatch or a hostile sender).</summary>
    public long TruncatedFrames { get; private set; }

    /// <summary>Frames the kernel would not take (ENOBUFS, a full queue): the protocol retransmits them.</summary>
    public long SendDrops { get; private set; }

    /// <summary>Opens the link on <paramref name="interfaceName"/>, seeing frames of <paramref name="etherType"/> only (AoE's 0x88A2 for its transport).</summary>
    /// <exception cref="EthernetLinkException">No such interface, no permission (root or CAP_NET_RAW needed), or a failed call.</exception>
    public static PacketSocketLink Open(string interfaceName, int batchCapacity, ushort etherType = EthernetHeader.NetScsiEtherType)
    {
        if (!IsSupported)
        {
            throw new EthernetLinkException("raw Ethernet (AF_PACKET) needs 64-bit Linux");
        }

        if (interfaceName.Length is 0 or >= InterfaceNameSize)
        {
            throw new EthernetLinkException($"'{interfaceName}' is not an interface name (1 to 15 characters)");
        }

        uint index = IfNameToIndex(interfaceName);
        if (index == 0)
        {
            throw new EthernetLinkException($"there is no network interface '{interfaceName}'", Marshal.GetLastPInvokeError());
        }

        int fd = Socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, HostToNetwork(etherType));
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw errno is EPERM or EACCES
                ? new EthernetLinkException($"raw Ethernet on '{interfaceName}' needs root or the CAP_NET_RAW capability (socket(AF_PACKET) was refused)", errno)
                : new EthernetLinkException($"cannot open a packet socket: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }

        int eventFd = -1;
        try
        {
            var address = new SockAddrLl
            {
                Family = AF_PACKET,
                Protocol = HostToNetwork(etherType),
                InterfaceIndex = (int)index,
            };
            if (Bind(fd, &address, (uint)sizeof(SockAddrLl)) != 0)
            {
                throw Failure($"cannot bind a packet socket to '{interfaceName}'");
            }

            IfReq request = NamedRequest(interfaceName);
            if (Ioctl(fd, SIOCGIFMTU, &request) != 0)
            {
                throw Failure($"cannot read the MTU of '{interfaceName}'");
            }

            int mtu = *(int*)&request.Family;
            request = NamedRequest(interfaceName);
            if (Ioctl(fd, SIOCGIFHWADDR, &request) != 0)
            {
                throw Failure($"cannot read the hardware address of '{interfaceName}'");
            }

            MacAddress mac = MacAddress.Read(new ReadOnlySpan<byte>(request.Data, MacAddress.Length));
            if (mtu < EthernetMinimumMtu)
            {
                throw new EthernetLinkException($"the MTU of '{interfaceName}' ({mtu}) is too small for NetScsi frames (at least {EthernetMinimumMtu})");
            }

            mtu = Math.Min(mtu, ushort.MaxValue);
            SetBuffer(fd, SO_RCVBUFFORCE, SO_RCVBUF);
            SetBuffer(fd, SO_SNDBUFFORCE, SO_SNDBUF);
            int one = 1;
            // Not ours to see; failure (an old kernel) only costs a filtered frame.
            _ = SetSockOpt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(int));

            eventFd = EventFd(0, EFD_NONBLOCK | EFD_CLOEXEC);
            if (eventFd < 0)
            {
                throw Failure("cannot create an eventfd");
            }

            return new PacketSocketLink(interfaceName, fd, eventFd, mac, mtu, batchCapacity);
        }
        catch
        {
            _ = PacketInterop.Close(fd);
            if (eventFd >= 0)
            {
                _ = PacketInterop.Close(eventFd);
            }

            throw;
        }
    }

    /// <summary>The smallest MTU Ethernet allows for IPv4 is 68; ours needs a header and a useful payload.</summary>
    internal const int EthernetMinimumMtu = 576;

    public void Receive(FrameBatch batch)
    {
        PrepareHeaders(batch, ref _receiveBatch, _receiveHeaders, _receiveVectors, batch.Capacity);
        int count = RecvMMsg(_socket, _receiveHeaders, (uint)Math.Min(batch.Capacity, _batchCapacity), MSG_DONTWAIT, null);
        if (count < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            batch.Count = 0;
            if (errno is EAGAIN or EINTR)
            {
                return;
            }

            throw new EthernetLinkException($"receiving on '{Name}' failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }

        for (int i = 0; i < count; i++)
        {
            MMsgHdr* message = &_receiveHeaders[i];
            if ((message->Header.Flags & MSG_TRUNC) != 0)
            {
                TruncatedFrames++;
                batch.SetLength(i, 0);
            }
            else
            {
                batch.SetLength(i, (int)message->Length);
            }

            message->Header.Flags = 0;
        }

        batch.Count = count;
    }

    public void Send(FrameBatch batch)
    {
        PrepareHeaders(batch, ref _sendBatch, _sendHeaders, _sendVectors, batch.Capacity);
        for (int i = 0; i < batch.Count; i++)
        {
            _sendVectors[i].Base = batch.Address(i);
            _sendVectors[i].Length = (nuint)batch.LengthOf(i);
        }

        int sent = 0;
        int waits = 0;
        while (sent < batch.Count)
        {
            int count = SendMMsg(_socket, _sendHeaders + sent, (uint)(batch.Count - sent), 0);
            if (count > 0)
            {
                sent += count;
                continue;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR)
            {
                continue;
            }

            if (errno == EAGAIN && waits++ < 10)
            {
                // The socket's send buffer is full: wait a moment for room rather than drop a whole batch.
                var fd = new PollFd { Fd = _socket, Events = POLLOUT };
                _ = Poll(&fd, 1, 1);
                continue;
            }

            if (errno is EAGAIN or ENOBUFS)
            {
                // Dropped on our side: like loss on the wire, the protocol retransmits.
                SendDrops++;
                sent++;
                continue;
            }

            throw new EthernetLinkException($"sending on '{Name}' failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }

        batch.Count = 0;
    }

    public void Wait(int timeoutMilliseconds)
    {
        PollFd* fds = stackalloc PollFd[2];
        fds[0] = new PollFd { Fd = _socket, Events = POLLIN };
        fds[1] = new PollFd { Fd = _event, Events = POLLIN };
        int ready = Poll(fds, 2, timeoutMilliseconds);
        if (ready > 0 && (fds[1].ReturnedEvents & POLLIN) != 0)
        {
            ulong value;
            _ = PacketInterop.Read(_event, &value, sizeof(ulong));
        }
    }

    public void Wake()
    {
        ulong one = 1;
        _ = PacketInterop.Write(_event, &one, sizeof(ulong));
    }

    public void Dispose()
    {
        int socket = Interlocked.Exchange(ref _socket, -1);
        if (socket < 0)
        {
            return;
        }

        _ = PacketInterop.Close(socket);
        _ = PacketInterop.Close(Interlocked.Exchange(ref _event, -1));
        NativeMemory.Free(_receiveHeaders);
        NativeMemory.Free(_receiveVectors);
        NativeMemory.Free(_sendHeaders);
        NativeMemory.Free(_sendVectors);
    }

    /// <summary>Points the message headers at the batch's slots, once per batch (the batch is pinned and lives as long).</summary>
    private void PrepareHeaders(FrameBatch batch, ref FrameBatch? prepared, MMsgHdr* headers, IoVec* vectors, int count)
    {
        if (ReferenceEquals(prepared, batch))
        {
            return;
        }

        if (count > _batchCapacity)
        {
            throw new ArgumentException($"A batch of {count} frames is larger than the link's {_batchCapacity}.", nameof(batch));
        }

        for (int i = 0; i < count; i++)
        {
            vectors[i] = new IoVec { Base = batch.Address(i), Length = (nuint)batch.FrameSize };
            headers[i] = new MMsgHdr { Header = new MsgHdr { Iov = &vectors[i], IovLength = 1 } };
        }

        prepared = batch;
    }

    private static IfReq NamedRequest(string interfaceName)
    {
        var request = default(IfReq);
        Span<byte> name = new(request.Name, InterfaceNameSize);
        Encoding.ASCII.GetBytes(interfaceName, name);
        return request;
    }

    private static void SetBuffer(int fd, int forced, int plain)
    {
        int size = SocketBufferSize;
        // The forced option ignores rmem_max/wmem_max (root); without it, the plain one is capped by them.
        if (SetSockOpt(fd, SOL_SOCKET, forced, &size, sizeof(int)) != 0)
        {
            _ = SetSockOpt(fd, SOL_SOCKET, plain, &size, sizeof(int));
        }
    }

    private static EthernetLinkException Failure(string what)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new EthernetLinkException($"{what}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }
}
