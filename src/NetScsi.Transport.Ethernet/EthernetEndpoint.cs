using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Threading.Channels;

namespace NetScsi.Transport.Ethernet;

/// <summary>
/// One interface's share of the transport: its link, and the poller thread that receives frames in batches, hands
/// each to its connection by destination connection id (checking the source MAC and source id), runs every
/// connection's timers and pumps, and sends what they produce in batches. Many initiators and sessions share an
/// endpoint; a frame from an unexpected MAC or for an unknown connection is dropped and counted, never delivered.
/// </summary>
internal sealed class EthernetEndpoint : IDisposable
{
    /// <summary>Connections the listener has answered but whose handshake has not finished: the bound on SYN floods.</summary>
    private const int MaxHalfOpen = 32;

    private readonly IFrameLink _link;
    private readonly EthernetTransportOptions _options;
    private readonly ReliableConnectionOptions _connectionOptions;
    private readonly PipeOptions _toApplication;
    private readonly PipeOptions _fromApplication;
    private readonly Thread _poller;
    private readonly FrameBatch _receiveBatch;
    private readonly FrameBatch _sendBatch;
    private readonly ConcurrentDictionary<uint, EthernetConnection> _connections = new();
    private readonly ConcurrentQueue<EthernetConnection> _admissions = new();
    private readonly List<EthernetConnection> _active = [];
    private readonly Dictionary<(MacAddress Mac, uint Id), EthernetConnection> _bySynSource = [];
    private readonly ConcurrentQueue<uint> _queries = new();
    private readonly ConcurrentDictionary<uint, ConcurrentDictionary<MacAddress, bool>> _discoveries = new();
    private Channel<EthernetConnection>? _accepted;
    private volatile bool _stopping;
    private int _halfOpen;
    private Exception? _failure;

    private long _droppedMalformed;
    private long _droppedUnknownConnection;
    private long _droppedWrongSource;
    private long _droppedNotForUs;
    private long _droppedNoListener;

    public EthernetEndpoint(IFrameLink link, EthernetTransportOptions options)
    {
        _link = link;
        _options = options;
        Time = options.TimeProvider;
        int maxPayload = Math.Min(link.Mtu, ushort.MaxValue) - FrameHeader.Length;
        int window = WindowFor(maxPayload, options.WindowFrames);
        _connectionOptions = options.ConnectionOptions with
        {
            MaxPayload = maxPayload,
            SendBufferSize = window,
            ReceiveBufferSize = window,
        };
        // The application's side runs on the thread pool, never on the poller; the poller's side inline (its
        // callbacks only set a flag and wake it).
        _toApplication = new PipeOptions(
            pauseWriterThreshold: window, resumeWriterThreshold: window / 2,
            readerScheduler: PipeScheduler.ThreadPool, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false);
        _fromApplication = new PipeOptions(
            pauseWriterThreshold: window, resumeWriterThreshold: window / 2,
            readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.ThreadPool, useSynchronizationContext: false);
        int frameSize = link.Mtu + EthernetHeader.Length;
        int batch = Math.Clamp(4 * 1024 * 1024 / frameSize, 8, options.BatchFrames);
        _receiveBatch = new FrameBatch(batch, frameSize);
        _sendBatch = new FrameBatch(batch, frameSize);
        _poller = new Thread(Run) { IsBackground = true, Name = $"netscsi-eth {link.Name}" };
        _poller.Start();
        EthernetMeter.Register(this);
    }

    public string Name => _link.Name;

    public MacAddress Address => _link.Address;

    public int Mtu => _link.Mtu;

    public TimeProvider Time { get; }

    /// <summary>The options every connection on this endpoint gets (payload from the MTU, window from the options).</summary>
    public ReliableConnectionOptions ConnectionOptions => _connectionOptions;

    /// <summary>Frames dropped, by reason (for tests and diagnostics).</summary>
    public EthernetEndpointCounters Counters => new(
        Volatile.Read(ref _droppedMalformed),
        Volatile.Read(ref _droppedUnknownConnection),
        Volatile.Read(ref _droppedWrongSource),
        Volatile.Read(ref _droppedNotForUs),
        Volatile.Read(ref _droppedNoListener));

    /// <summary>Connections the endpoint holds now.</summary>
    public int ConnectionCount => _connections.Count;

    public bool IsListening => _accepted is not null;

    /// <summary>Opens a connection to <paramref name="peer"/> and waits for its handshake.</summary>
    /// <exception cref="IOException">No answer, or the peer refused.</exception>
    public async Task<EthernetConnection> ConnectAsync(MacAddress peer, CancellationToken cancellationToken)
    {
        ThrowIfStopped();
        EthernetConnection connection = Register(id => ReliableConnection.CreateInitiator(id, (uint)Random.Shared.NextInt64(), _connectionOptions, Time), peer);
        _admissions.Enqueue(connection);
        Wake();
        try
        {
            await connection.Established.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            connection.Abort("the connect was cancelled");
            throw;
        }

        return connection;
    }

    /// <summary>
    /// Finds the stations on the segment that listen (a target's interface): broadcasts a query (twice, against loss)
    /// and collects the MACs that answer within <paramref name="wait"/>.
    /// </summary>
    public async Task<IReadOnlyList<MacAddress>> DiscoverAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        ThrowIfStopped();
        uint nonce = (uint)Random.Shared.NextInt64(1, uint.MaxValue);
        var answers = new ConcurrentDictionary<MacAddress, bool>();
        _discoveries[nonce] = answers;
        try
        {
            _queries.Enqueue(nonce);
            Wake();
            await Task.Delay(wait / 2, cancellationToken).ConfigureAwait(false);
            _queries.Enqueue(nonce);
            Wake();
            await Task.Delay(wait / 2, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _discoveries.TryRemove(nonce, out _);
        }

        var found = answers.Keys.ToList();
        found.Sort((a, b) => a.Value.CompareTo(b.Value));
        return found;
    }

    /// <summary>Starts taking SYNs.</summary>
    /// <exception cref="IOException">Already listening.</exception>
    public void StartListening()
    {
        ThrowIfStopped();
        var channel = Channel.CreateUnbounded<EthernetConnection>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = true });
        if (Interlocked.CompareExchange(ref _accepted, channel, null) is not null)
        {
            throw new IOException($"Something in this process already listens on {EthernetTransport.TransportName}:{Name}.");
        }
    }

    public void StopListening()
    {
        Channel<EthernetConnection>? channel = Interlocked.Exchange(ref _accepted, null);
        if (channel is null)
        {
            return;
        }

        channel.Writer.TryComplete();
        while (channel.Reader.TryRead(out EthernetConnection? pending))
        {
            pending.Abort("the listener stopped");
        }
    }

    /// <summary>The next connection whose handshake finished; null once the listener stops.</summary>
    public async ValueTask<EthernetConnection?> AcceptAsync(CancellationToken cancellationToken)
    {
        Channel<EthernetConnection>? channel = _accepted;
        if (channel is null)
        {
            return null;
        }

        try
        {
            return await channel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>Ends a <see cref="IFrameLink.Wait"/> of the poller; any thread.</summary>
    public void Wake() => _link.Wake();

    /// <summary>From the poller: a connection finished its handshake.</summary>
    internal void OnEstablished(EthernetConnection connection)
    {
        if (_bySynSource.ContainsKey((connection.Peer, connection.PeerId)))
        {
            _halfOpen--;
            if (_accepted is not { } channel || !channel.Writer.TryWrite(connection))
            {
                connection.Abort("the listener stopped");
            }
        }
    }

    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        EthernetMeter.Unregister(this);
        StopListening();
        Wake();
        if (Thread.CurrentThread != _poller)
        {
            _poller.Join(TimeSpan.FromSeconds(5));
        }

        _link.Dispose();
    }

    private void ThrowIfStopped()
    {
        if (_failure is { } failure)
        {
            throw new IOException($"The Ethernet endpoint on {Name} failed: {failure.Message}", failure);
        }

        ObjectDisposedException.ThrowIf(_stopping, this);
    }

    private EthernetConnection Register(Func<uint, ReliableConnection> create, MacAddress peer)
    {
        while (true)
        {
            uint id = (uint)Random.Shared.NextInt64(1, uint.MaxValue);
            if (_connections.ContainsKey(id))
            {
                continue;
            }

            var connection = new EthernetConnection(this, create(id), peer, _toApplication, _fromApplication);
            if (_connections.TryAdd(id, connection))
            {
                return connection;
            }

            connection.Reliable.Dispose();
        }
    }

    private void Run()
    {
        try
        {
            while (!_stopping)
            {
                bool work = false;
                while (_admissions.TryDequeue(out EthernetConnection? admitted))
                {
                    _active.Add(admitted);
                    work = true;
                }

                while (_queries.TryDequeue(out uint nonce))
                {
                    SendControl(MacAddress.Broadcast, new FrameHeader { Flags = FrameFlags.AckRequest, Sequence = nonce });
                    work = true;
                }

                _link.Receive(_receiveBatch);
                for (int i = 0; i < _receiveBatch.Count; i++)
                {
                    HandleFrame(_receiveBatch.Frame(i));
                }

                work |= _receiveBatch.Count > 0;
                long now = Time.GetTimestamp();
                long next = long.MaxValue;
                for (int i = _active.Count - 1; i >= 0; i--)
                {
                    EthernetConnection connection = _active[i];
                    work |= connection.Service(now, _sendBatch, _link);
                    if (connection.IsFinished)
                    {
                        Forget(connection, i);
                    }
                    else
                    {
                        next = Math.Min(next, connection.NextDeadline);
                    }
                }

                if (_sendBatch.Count > 0)
                {
                    _link.Send(_sendBatch);
                }

                if (!work)
                {
                    _link.Wait(WaitMilliseconds(now, next));
                }
            }
        }
        catch (Exception e) when (e is EthernetLinkException or ObjectDisposedException)
        {
            _failure = e;
        }
        finally
        {
            foreach (EthernetConnection connection in _active)
            {
                connection.Shutdown();
            }

            _active.Clear();
            _connections.Clear();
            while (_admissions.TryDequeue(out EthernetConnection? admitted))
            {
                admitted.Shutdown();
            }
        }
    }

    private int WaitMilliseconds(long now, long next)
    {
        if (next == long.MaxValue)
        {
            return 1000;
        }

        double milliseconds = Time.GetElapsedTime(now, next).TotalMilliseconds;
        return milliseconds <= 0 ? 0 : (int)Math.Min(Math.Ceiling(milliseconds), 1000);
    }

    private void Forget(EthernetConnection connection, int index)
    {
        _active.RemoveAt(index);
        _connections.TryRemove(connection.Reliable.LocalId, out _);
        if (_bySynSource.Remove((connection.Peer, connection.PeerId)) && !connection.Established.IsCompletedSuccessfully)
        {
            _halfOpen--;
        }
    }

    private void HandleFrame(ReadOnlySpan<byte> frame)
    {
        if (!EthernetHeader.TryRead(frame, out EthernetHeader ethernet) || ethernet.EtherType != EthernetHeader.NetScsiEtherType)
        {
            _droppedMalformed++;
            return;
        }

        if (ethernet.Source == _link.Address)
        {
            return;
        }

        if (ethernet.Destination != _link.Address && !ethernet.Destination.IsGroup)
        {
            _droppedNotForUs++;
            return;
        }

        ReadOnlySpan<byte> body = frame[EthernetHeader.Length..];
        if (FrameHeader.TryRead(body, out FrameHeader header) != FrameReadStatus.Ok || ethernet.Source.IsGroup || ethernet.Source.IsZero)
        {
            _droppedMalformed++;
            return;
        }

        ReadOnlySpan<byte> payload = body.Slice(FrameHeader.Length, header.PayloadLength);
        if (header.DestinationConnectionId == FrameHeader.UnassignedConnectionId)
        {
            if (header.Flags == FrameFlags.Syn)
            {
                OnSyn(ethernet.Source, header, payload);
            }
            else if (header.Flags == FrameFlags.AckRequest && header.SourceConnectionId == FrameHeader.UnassignedConnectionId && _accepted is not null)
            {
                // Discovery: "who listens on this segment?" — a listener answers with its MAC (the frame's source).
                SendControl(ethernet.Source, new FrameHeader { Flags = FrameFlags.Ack, Acknowledgement = header.Sequence });
            }
            else if (header.Flags == FrameFlags.Ack && header.SourceConnectionId == FrameHeader.UnassignedConnectionId
                && !ethernet.Destination.IsGroup && _discoveries.TryGetValue(header.Acknowledgement, out var answers))
            {
                answers.TryAdd(ethernet.Source, true);
            }
            else
            {
                _droppedUnknownConnection++;
            }

            return;
        }

        if (ethernet.Destination.IsGroup || !_connections.TryGetValue(header.DestinationConnectionId, out EthernetConnection? connection) || connection.IsFinished)
        {
            _droppedUnknownConnection++;
            return;
        }

        if (connection.Peer != ethernet.Source || (connection.PeerId != 0 && connection.PeerId != header.SourceConnectionId))
        {
            _droppedWrongSource++;
            return;
        }

        connection.Reliable.OnFrame(header, payload);
    }

    private void OnSyn(MacAddress source, in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        if (_bySynSource.TryGetValue((source, header.SourceConnectionId), out EthernetConnection? known))
        {
            // The initiator did not get our SYN+ACK yet: the connection sends it again.
            known.Reliable.OnFrame(header, payload);
            return;
        }

        if (_accepted is null || _halfOpen >= MaxHalfOpen || header.SourceConnectionId == FrameHeader.UnassignedConnectionId)
        {
            _droppedNoListener++;
            if (_accepted is null && header.SourceConnectionId != FrameHeader.UnassignedConnectionId)
            {
                // Nothing listens here: say so at once (the initiator fails "refused" instead of timing out). Beyond
                // the half-open limit the SYN is only dropped: its retransmission may find room.
                Refuse(source, header);
            }

            return;
        }

        FrameHeader syn = header;
        byte[] synPayload = payload.ToArray();
        EthernetConnection connection = Register(
            id => ReliableConnection.CreateAcceptor(id, (uint)Random.Shared.NextInt64(), syn, synPayload, _connectionOptions, Time),
            source);
        _bySynSource[(source, header.SourceConnectionId)] = connection;
        _halfOpen++;
        _active.Add(connection);
    }

    private void Refuse(MacAddress source, in FrameHeader syn) =>
        SendControl(source, new FrameHeader
        {
            Flags = FrameFlags.Rst | FrameFlags.Ack,
            DestinationConnectionId = syn.SourceConnectionId,
            SourceConnectionId = FrameHeader.UnassignedConnectionId,
            Acknowledgement = syn.Sequence,
        });

    /// <summary>A frame of no connection (refusal, discovery), queued in the poller's send batch.</summary>
    private void SendControl(MacAddress destination, in FrameHeader header)
    {
        if (_sendBatch.IsFull)
        {
            _link.Send(_sendBatch);
        }

        Span<byte> slot = _sendBatch.Slot(_sendBatch.Count);
        new EthernetHeader(destination, _link.Address, EthernetHeader.NetScsiEtherType).WriteTo(slot);
        header.WriteTo(slot[EthernetHeader.Length..]);
        slot[(EthernetHeader.Length + FrameHeader.Length)..EthernetHeader.MinimumFrameLength].Clear();
        _sendBatch.SetLength(_sendBatch.Count, EthernetHeader.MinimumFrameLength);
        _sendBatch.Count++;
    }

    private static int WindowFor(int maxPayload, int frames)
    {
        long bytes = Math.Clamp((long)maxPayload * frames, 256 * 1024, 16 * 1024 * 1024);
        return (int)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)bytes);
    }
}

/// <summary>Frames an endpoint dropped, by reason.</summary>
/// <param name="Malformed">Truncated, unknown version, bad flags, payload past the frame, group source.</param>
/// <param name="UnknownConnection">For a connection id the endpoint does not hold.</param>
/// <param name="WrongSource">For a held connection, but from another MAC or source connection id (spoofed or stale).</param>
/// <param name="NotForUs">Addressed to another station.</param>
/// <param name="NoListener">A SYN with no listener (or too many half-open connections).</param>
internal readonly record struct EthernetEndpointCounters(long Malformed, long UnknownConnection, long WrongSource, long NotForUs, long NoListener)
{
    public long Total => Malformed + UnknownConnection + WrongSource + NotForUs + NoListener;
}
