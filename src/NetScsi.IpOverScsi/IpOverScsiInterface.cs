using System.Buffers.Binary;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetScsi.IpOverScsi.Link;
using NetScsi.IpOverScsi.Routing;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Target;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Messaging;
using NetScsi.Transport;

namespace NetScsi.IpOverScsi;

/// <summary>
/// One host's interface on a SCSI network (RFC 2143): every host is a target and an initiator. As a target it serves
/// a communications device logical unit (09h) whose SEND MESSAGE(10) commands fill a bounded receive queue that a
/// loop empties into the local IP stack through the <see cref="IDatagramPort"/> (a TUN interface). As an initiator
/// it keeps a <see cref="PeerLink"/> to each neighbour's communications device, and a transmit thread reads each
/// datagram the stack sends, finds the neighbour that owns its destination or the gateway of the kernel's route to it
/// (<see cref="NextHopResolver{TNeighbour}"/>), and sends it there as one SEND MESSAGE(10), STREAM SELECTION 0800h.
/// A host on two SCSI networks has two of these; the kernel's IP forwarding between them makes it a gateway
/// (RFC 2143 §5).
/// </summary>
public sealed partial class IpOverScsiInterface : IAsyncDisposable
{
    private readonly IDatagramPort _port;
    private readonly IscsiTargetServer _server;
    private readonly MessageReceiveQueue? _queue;
    private readonly object _queryLock = new();
    private readonly CommunicationsLogicalUnit _unit;
    private readonly PeerLink[] _links;
    private readonly NextHopResolver<PeerLink> _resolver;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Thread? _transmitThread;
    private Task _receive = Task.CompletedTask;
    private int _disposed;
    private long _txDatagrams;
    private long _txBytes;
    private long _txUnresolved;
    private long _txNotIpv4;
    private long _txLinkDropped;
    private long _rxDatagrams;
    private long _rxBytes;
    private long _rxDropped;
    private long _queriesSent;
    private long _queriesAnswered;
    private long _neighboursLearned;
    private long _queriesUnmatched;
    private readonly uint _localAddress;
    private readonly ulong _localHardware;
    private readonly Dictionary<uint, long> _lastQuery = new();
    private byte[] _queryBuffer;
    private byte[] _replyBuffer;

    private IpOverScsiInterface(IDatagramPort port, IpOverScsiOptions options, ILoggerFactory loggerFactory)
    {
        _port = port;
        _logger = loggerFactory.CreateLogger("NetScsi.IpOverScsi");
        _queue = options.ReceiveQueueMessages == 0
            ? null
            : new MessageReceiveQueue([CommunicationsLogicalUnitOptions.Ipv4Stream, NeighbourQuery.Stream], options.ReceiveQueueMessages, options.ReceiveQueueBytes);
        _localAddress = options.LocalAddress is null ? 0 : NextHopResolver<PeerLink>.ToHostOrder(options.LocalAddress);
        _localHardware = NeighbourQuery.HardwareAddressOf(options.TargetName);
        _queryBuffer = new byte[port.Mtu];
        _replyBuffer = new byte[port.Mtu];
        _unit = new CommunicationsLogicalUnit(_queue ?? (IMessageSink)new DirectSink(this), new CommunicationsLogicalUnitOptions
        {
            Identity = options.TargetName + "/" + port.Name,
            MaxMessageLength = port.Mtu,
            QueueFullAction = options.QueueFullAction,
        });
        var targetOptions = new IscsiTargetOptions();
        foreach (Portal portal in options.ListenPortals)
        {
            targetOptions.Portals.Add(portal);
        }
        foreach (IDataMoverTransport transport in options.Transports)
        {
            targetOptions.Transports.Add(transport);
        }
        var target = new TargetDefinition { Name = options.TargetName, Alias = port.Name };
        target.Luns.Add(new LunMapping(options.Lun, _unit));
        targetOptions.Targets.Add(target);
        _server = new IscsiTargetServer(targetOptions, loggerFactory);

        Func<IReadOnlyList<Ipv4Route>> routes = options.Routes ?? (() => KernelRouteTable.Read(port.Name));
        _resolver = new NextHopResolver<PeerLink>(routes);
        _links = new PeerLink[options.Peers.Count];
        ILogger linkLogger = loggerFactory.CreateLogger("NetScsi.IpOverScsi.PeerLink");
        for (int i = 0; i < _links.Length; i++)
        {
            _links[i] = new PeerLink(options.Peers[i], options.Links, port.Mtu, linkLogger);
            if (options.Peers[i].Address is System.Net.IPAddress address)
            {
                _resolver.AddNeighbour(address, _links[i]);
            }
        }
    }

    /// <summary>The local end (the TUN interface).</summary>
    public IDatagramPort Port => _port;

    /// <summary>The local communications device.</summary>
    public CommunicationsLogicalUnit Unit => _unit;

    /// <summary>The receive queue between the communications device and the stack (null: datagrams go straight to the port).</summary>
    public MessageReceiveQueue? ReceiveQueue => _queue;

    /// <summary>One link per neighbour, in the order of <see cref="IpOverScsiOptions.Peers"/>.</summary>
    public IReadOnlyList<PeerLink> Links => _links;

    /// <summary>Where the local target listens (with the ports the system chose).</summary>
    public IReadOnlyList<Portal> ListeningPortals => _server.ListeningPortals;

    /// <summary>What the interface has moved so far.</summary>
    public InterfaceCounters Counters => new(
        Interlocked.Read(ref _txDatagrams),
        Interlocked.Read(ref _txBytes),
        Interlocked.Read(ref _txUnresolved),
        Interlocked.Read(ref _txNotIpv4),
        Interlocked.Read(ref _txLinkDropped),
        Interlocked.Read(ref _rxDatagrams),
        Interlocked.Read(ref _rxBytes),
        Interlocked.Read(ref _rxDropped),
        Interlocked.Read(ref _queriesSent),
        Interlocked.Read(ref _queriesAnswered),
        Interlocked.Read(ref _neighboursLearned),
        Interlocked.Read(ref _queriesUnmatched));

    /// <summary>
    /// Starts the target (binding its portals), the peer links (logging in in the background) and the loops. The
    /// interface owns <paramref name="port"/> from here on, also when this throws: disposing it removes the TUN interface.
    /// </summary>
    public static async Task<IpOverScsiInterface> StartAsync(IDatagramPort port, IpOverScsiOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(port);
        ArgumentNullException.ThrowIfNull(options);
        IpOverScsiInterface? created = null;
        try
        {
            created = new IpOverScsiInterface(port, options, options.LoggerFactory ?? NullLoggerFactory.Instance);
            await created._server.StartAsync(cancellationToken).ConfigureAwait(false);
            foreach (IDataMoverListener listener in options.Listeners)
            {
                created._server.AddListener(listener);
            }
            foreach (PeerLink link in created._links)
            {
                link.Start();
            }
            if (created._queue is not null)
            {
                created._receive = created.ReceiveLoopAsync(created._queue, created._stop.Token);
            }
            created._transmitThread = new Thread(created.TransmitLoop)
            {
                IsBackground = true,
                Name = "netscsi-ip-tx " + port.Name,
            };
            created._transmitThread.Start();
            return created;
        }
        catch
        {
            if (created is not null)
            {
                await created.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                port.Dispose();
            }
            throw;
        }
    }

    /// <summary>Waits until every peer link is up; false on timeout.</summary>
    public async Task<bool> WaitLinksUpAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        foreach (PeerLink link in _links)
        {
            if (!await link.WaitUpAsync(timeout, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The stack → SCSI direction: one datagram at a time from the port to the link of its next hop.</summary>
    private void TransmitLoop()
    {
        CancellationToken stop = _stop.Token;
        byte[] buffer = new byte[_port.Mtu];
        while (!stop.IsCancellationRequested)
        {
            int length;
            try
            {
                length = _port.Receive(buffer, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                if (!stop.IsCancellationRequested)
                {
                    LogTransmitFailed(_logger, _port.Name, e.Message);
                }
                break;
            }

            // IPv4 header (RFC 791): version in the high nibble of byte 0, destination address at bytes 16-19.
            if (length < 20 || (buffer[0] >> 4) != 4)
            {
                Interlocked.Increment(ref _txNotIpv4);
                continue;
            }
            uint destination = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(16, 4));
            PeerLink? link = _resolver.Resolve(destination, out uint nextHop);
            if (link is null)
            {
                Interlocked.Increment(ref _txUnresolved);
                if (nextHop != 0)
                {
                    Query(nextHop);
                }
                continue;
            }
            if (link.TrySend(ref buffer, length, CommunicationsLogicalUnitOptions.Ipv4Stream))
            {
                Interlocked.Increment(ref _txDatagrams);
                Interlocked.Add(ref _txBytes, length);
            }
            else
            {
                Interlocked.Increment(ref _txLinkDropped);
            }
        }
    }

    /// <summary>
    /// Asks every peer that is up who has <paramref name="address"/> (no broadcast on a SCSI network: one unicast
    /// query per known SCSI address), at most once a second per address. Transmit thread only.
    /// </summary>
    private void Query(uint address)
    {
        long now = Environment.TickCount64;
        if (_lastQuery.TryGetValue(address, out long last) && now - last < 1000)
        {
            return;
        }
        if (_lastQuery.Count >= 4096)
        {
            _lastQuery.Clear();
        }
        _lastQuery[address] = now;
        foreach (PeerLink link in _links)
        {
            if (link.State != PeerState.Up)
            {
                continue;
            }
            int length = NeighbourQuery.Write(_queryBuffer, NeighbourQuery.Request, _localHardware, _localAddress, 0, address);
            if (link.TrySend(ref _queryBuffer, length, NeighbourQuery.Stream))
            {
                Interlocked.Increment(ref _queriesSent);
            }
        }
    }

    /// <summary>A neighbour query or answer from the receive queue: learn the sender, answer a query for our address.</summary>
    private void OnNeighbourQuery(ReadOnlySpan<byte> packet)
    {
        if (!NeighbourQuery.TryRead(packet, out ushort operation, out ulong senderHardware, out uint senderAddress, out ulong targetHardware, out uint targetAddress)
            || senderAddress == 0)
        {
            Interlocked.Increment(ref _queriesUnmatched);
            return;
        }
        bool forUs = operation == NeighbourQuery.Request ? _localAddress != 0 && targetAddress == _localAddress : targetHardware == _localHardware;
        if (!forUs)
        {
            return;
        }
        PeerLink? sender = null;
        foreach (PeerLink link in _links)
        {
            if (link.HardwareAddress == senderHardware)
            {
                sender = link;
                break;
            }
        }
        if (sender is null)
        {
            // Not one of our peers: we have no session to it, so no way to answer or to send to it.
            Interlocked.Increment(ref _queriesUnmatched);
            return;
        }
        if (sender.Address is null)
        {
            sender.LearnedAddress = NextHopResolver<PeerLink>.ToAddress(senderAddress);
            _resolver.Learn(senderAddress, sender);
            Interlocked.Increment(ref _neighboursLearned);
        }
        if (operation == NeighbourQuery.Request)
        {
            int length = NeighbourQuery.Write(_replyBuffer, NeighbourQuery.Reply, _localHardware, _localAddress, senderHardware, senderAddress);
            if (sender.TrySend(ref _replyBuffer, length, NeighbourQuery.Stream))
            {
                Interlocked.Increment(ref _queriesAnswered);
            }
        }
    }

    /// <summary>The SCSI → stack direction: the communications device's receive queue into the port.</summary>
    private async Task ReceiveLoopAsync(MessageReceiveQueue queue, CancellationToken stop)
    {
        byte[] buffer = new byte[_port.Mtu];
        while (true)
        {
            MessageInfo message;
            try
            {
                message = await queue.ReceiveAsync(buffer, stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
            {
                return;
            }
            Deliver(message.StreamSelection, buffer.AsSpan(0, message.Length));
        }
    }

    /// <summary>One received message: a neighbour query, or a datagram for the stack. False when the port refused it.</summary>
    private bool Deliver(ushort stream, ReadOnlySpan<byte> message)
    {
        if (stream == NeighbourQuery.Stream)
        {
            lock (_queryLock)
            {
                OnNeighbourQuery(message);
            }
            return true;
        }
        if (_port.TrySend(message))
        {
            Interlocked.Increment(ref _rxDatagrams);
            Interlocked.Add(ref _rxBytes, message.Length);
            return true;
        }
        Interlocked.Increment(ref _rxDropped);
        return false;
    }

    /// <summary>No receive queue: the communications device hands each datagram to the port on the command's path.</summary>
    private sealed class DirectSink(IpOverScsiInterface owner) : IMessageSink
    {
        public bool AcceptsStream(ushort streamSelection) => streamSelection is CommunicationsLogicalUnitOptions.Ipv4Stream or NeighbourQuery.Stream;

        public bool TryDeliver(ushort streamSelection, ReadOnlySpan<byte> message) => owner.Deliver(streamSelection, message);
    }

    /// <summary>Stops the loops, the links (logging out) and the target, then closes the port (the TUN interface goes away).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        _queue?.Close();
        foreach (PeerLink link in _links)
        {
            await link.DisposeAsync().ConfigureAwait(false);
        }
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try
            {
                await _server.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        await _server.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _receive.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _transmitThread?.Join(TimeSpan.FromSeconds(5));
        _port.Dispose();
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Interface {Interface}: reading datagrams failed ({Reason}); transmit stopped")]
    private static partial void LogTransmitFailed(ILogger logger, string @interface, string reason);
}
