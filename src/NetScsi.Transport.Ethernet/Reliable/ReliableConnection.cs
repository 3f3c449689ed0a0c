using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using static NetScsi.Transport.Ethernet.SerialNumber;

namespace NetScsi.Transport.Ethernet;

/// <summary>
/// One reliable, ordered byte stream over frames that may be lost, duplicated, reordered or delayed: the state
/// machine alone, with no sockets. Its driver hands it each frame for the connection (<see cref="OnFrame"/>), asks it
/// for frames to send (<see cref="TryWriteFrame"/>) until it has none, calls <see cref="OnTimer"/> when
/// <see cref="NextDeadline"/> passes, and moves bytes between it and the application
/// (<see cref="Write"/>, <see cref="Read"/>). Time comes from a <see cref="TimeProvider"/>. Not thread-safe: one
/// driver thread owns it.
/// </summary>
/// <remarks>
/// The protocol, in the manner of TCP but simpler (documented in docs/ethernet.md):
/// <list type="bullet">
/// <item>Handshake: SYN (initiator's id and initial offset) → SYN+ACK (acceptor's id and initial offset, acknowledging
/// the initiator's) → any ACK. Neither SYN consumes an offset; each is retransmitted until answered.</item>
/// <item>Sequence numbers are byte offsets in the stream; the acknowledgement is cumulative (the next offset expected)
/// and carries the receiver's window (bytes it can take beyond it). Out-of-order frames within the window are kept
/// and reassembled; each one draws an immediate duplicate acknowledgement.</item>
/// <item>Retransmission: one timer for the oldest unacknowledged byte, from Jacobson/Karels estimates of the round trip
/// (Karn: no sample from a retransmitted frame), doubled on each timeout up to a ceiling; on timeout the sender goes
/// back to the oldest unacknowledged byte; after three duplicate acknowledgements it resends that frame at once.</item>
/// <item>Congestion: AIMD on a window in bytes (slow start to the threshold, then one frame per window; halved on fast
/// retransmission, one frame after a timeout).</item>
/// <item>FIN occupies one offset after the data; RST aborts. Keepalive probes (ACK-REQUEST) find a silent peer, which is
/// declared dead after <see cref="ReliableConnectionOptions.DeadPeerTimeout"/>.</item>
/// </list>
/// Memory per connection is the two rings of <see cref="ReliableConnectionOptions.SendBufferSize"/> and
/// <see cref="ReliableConnectionOptions.ReceiveBufferSize"/> bytes, rented once (by an acceptor only when the handshake
/// completes); nothing is allocated per frame.
/// </remarks>
public sealed class ReliableConnection : IDisposable
{
    private const int DuplicateAckThreshold = 3;
    private const int MaxImmediateAcks = 3;

    /// <summary>
    /// The congestion window at the start and after a timeout, in frames: one segment has no routers to overrun,
    /// only the peer's socket buffer, which the advertised window already guards.
    /// </summary>
    private const int InitialWindowFrames = 16;

    private const int RestartWindowFrames = 4;

    /// <summary>A SYN's payload: the sender's largest payload (16 bits).</summary>
    private const int SynPayloadLength = 2;

    private readonly TimeProvider _time;
    private readonly ReliableConnectionOptions _options;
    private int _mss;
    private readonly bool _isInitiator;

    private readonly long _minRto;
    private readonly long _maxRto;
    private readonly long _keepalive;
    private readonly long _deadPeer;
    private readonly long _connectTimeout;
    private readonly long _createdAt;

    // Send side: [_sndUna, _sndEnd) is held in the ring; [_sndUna, _sndNxt) has been sent; _sndMax is the highest sent.
    private byte[]? _sendRing;
    private readonly uint _sendMask;
    private readonly uint _isn;
    private uint _sndUna;
    private uint _sndNxt;
    private uint _sndMax;
    private uint _sndEnd;
    private uint _peerEdge;
    private bool _finRequested;
    private int _cwnd;
    private int _ssthresh;
    private int _dupAcks;
    private bool _retransmitOne;

    // Round-trip estimates, in TimeProvider timestamp ticks.
    private long _srtt;
    private long _rttvar;
    private long _rto;
    private bool _timing;
    private uint _timedEnd;
    private long _timedAt;
    private long _rtoDeadline;

    // Receive side: [_rcvRead, _rcvNxt) is in order, unread; out-of-order ranges lie beyond _rcvNxt.
    private byte[]? _receiveRing;
    private readonly uint _receiveMask;
    private readonly uint _receiveCapacity;
    private uint _rcvRead;
    private uint _rcvNxt;
    private readonly uint[] _rangeStart;
    private readonly uint[] _rangeEnd;
    private int _rangeCount;
    private bool _peerFinKnown;
    private uint _peerFinAt;
    private bool _peerFinished;
    private uint _advertisedEdge;

    private bool _synPending;
    private bool _ackPending;
    private int _immediateAcks;
    private bool _probePending;
    private bool _rstPending;
    private long _lastReceived;
    private long _lastProbe;

    private ReliableConnectionCounters _counters;

    private ReliableConnection(bool isInitiator, uint localId, uint isn, ReliableConnectionOptions options, TimeProvider time)
    {
        options.Validate();
        _time = time;
        _options = options;
        _mss = options.MaxPayload;
        _isInitiator = isInitiator;
        LocalId = localId;
        long frequency = time.TimestampFrequency;
        _minRto = ToTicks(options.MinRetransmitTimeout, frequency);
        _maxRto = ToTicks(options.MaxRetransmitTimeout, frequency);
        _keepalive = ToTicks(options.KeepaliveInterval, frequency);
        _deadPeer = ToTicks(options.DeadPeerTimeout, frequency);
        _connectTimeout = ToTicks(options.ConnectTimeout, frequency);
        _rto = Math.Clamp(ToTicks(options.InitialRetransmitTimeout, frequency), _minRto, _maxRto);

        _sendMask = (uint)options.SendBufferSize - 1;
        if (isInitiator)
        {
            RentRings();
        }

        _receiveMask = (uint)options.ReceiveBufferSize - 1;
        _receiveCapacity = (uint)options.ReceiveBufferSize;
        _rangeStart = new uint[options.MaxOutOfOrderRanges];
        _rangeEnd = new uint[options.MaxOutOfOrderRanges];

        _isn = isn;
        _sndUna = _sndNxt = _sndMax = _sndEnd = isn;
        _peerEdge = isn;
        _cwnd = InitialWindowFrames * _mss;
        _ssthresh = options.SendBufferSize;
        _createdAt = _lastReceived = time.GetTimestamp();
        _synPending = true;
    }

    /// <summary>This end's connection id: the destination id of every frame the peer sends it.</summary>
    public uint LocalId { get; }

    /// <summary>The peer's connection id (0 until the initiator has the SYN+ACK).</summary>
    public uint PeerId { get; private set; }

    public ReliableConnectionState State { get; private set; }

    /// <summary>True when an established connection ended by the peer's RST (not by silence, a timeout or locally).</summary>
    public bool ResetByPeer { get; private set; }

    /// <summary>Why the connection reset, when it did.</summary>
    public string? ResetReason { get; private set; }

    /// <summary>Counters of the unusual (retransmissions, duplicates, frames out of window).</summary>
    public ReliableConnectionCounters Counters => _counters;

    /// <summary>The current retransmission timeout.</summary>
    public TimeSpan RetransmitTimeout => TimeSpan.FromSeconds((double)_rto / _time.TimestampFrequency);

    /// <summary>The smoothed round trip, or zero before the first sample.</summary>
    public TimeSpan SmoothedRoundTrip => TimeSpan.FromSeconds((double)_srtt / _time.TimestampFrequency);

    /// <summary>True while the connection holds its rings (an acceptor rents them when its handshake completes).</summary>
    internal bool HoldsBuffers => _sendRing is not null;

    /// <summary>In-order bytes ready for <see cref="Read"/>.</summary>
    public int ReadableBytes => (int)(_rcvNxt - _rcvRead);

    /// <summary>True when the peer's FIN has arrived and every byte before it has been read: end of stream.</summary>
    public bool IsEndOfStream => _peerFinished && _rcvRead == _rcvNxt;

    /// <summary>Room in the send ring for <see cref="Write"/> (0 after <see cref="Close"/>).</summary>
    public int WritableBytes => _finRequested || State is ReliableConnectionState.Closed or ReliableConnectionState.Reset
        ? 0
        : _options.SendBufferSize - (int)(_sndEnd - _sndUna);

    /// <summary>True when every byte written (and the FIN, once closed) has been acknowledged.</summary>
    public bool IsSendComplete => _finRequested ? _sndUna == _sndEnd + 1 : _sndUna == _sndEnd;

    /// <summary>Bytes written but not yet acknowledged.</summary>
    public int UnacknowledgedBytes => (int)(_sndEnd - _sndUna) < 0 ? 0 : (int)(_sndEnd - _sndUna);

    /// <summary>Opens a connection: the first frame out is a SYN.</summary>
    public static ReliableConnection CreateInitiator(uint localId, uint initialSequence, ReliableConnectionOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        return new ReliableConnection(true, localId, initialSequence, options, time) { State = ReliableConnectionState.SynSent };
    }

    /// <summary>Accepts the connection a SYN opens: the first frame out is the SYN+ACK.</summary>
    /// <param name="synPayload">The SYN's payload: the largest payload the initiator takes (frames are cut to the smaller).</param>
    public static ReliableConnection CreateAcceptor(uint localId, uint initialSequence, in FrameHeader syn, ReadOnlySpan<byte> synPayload, ReliableConnectionOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        if (!syn.Has(FrameFlags.Syn) || syn.Has(FrameFlags.Ack))
        {
            throw new ArgumentException("Only a SYN (without ACK) opens a connection.", nameof(syn));
        }

        var connection = new ReliableConnection(false, localId, initialSequence, options, time) { State = ReliableConnectionState.SynReceived };
        connection.PeerId = syn.SourceConnectionId;
        connection.TakePeerMaxPayload(synPayload);
        connection.StartReceiving(syn.Sequence);
        connection.UpdatePeerEdge(initialSequence, syn.Window, force: true);
        return connection;
    }

    /// <summary>Copies bytes into the send ring; returns how many fit (0 when full, closed or reset).</summary>
    public int Write(ReadOnlySpan<byte> data)
    {
        int count = Math.Min(data.Length, WritableBytes);
        if (count <= 0 || _sendRing is null)
        {
            return 0;
        }

        CopyIntoRing(_sendRing!, _sendMask, _sndEnd, data[..count]);
        _sndEnd += (uint)count;
        return count;
    }

    /// <summary>Takes in-order bytes; returns how many (0 when none are ready; see <see cref="IsEndOfStream"/>).</summary>
    public int Read(Span<byte> destination)
    {
        int count = Math.Min(destination.Length, ReadableBytes);
        if (count <= 0)
        {
            return 0;
        }

        CopyFromRing(_receiveRing!, _receiveMask, _rcvRead, destination[..count]);
        _rcvRead += (uint)count;

        // Tell a sender held back by our window that it opened (by a quarter of the ring, or from nearly shut).
        uint edge = _rcvRead + _receiveCapacity;
        uint advertisedWindow = _advertisedEdge - _rcvNxt;
        if (edge - _advertisedEdge >= _receiveCapacity / 4 || (int)advertisedWindow < 2 * _mss)
        {
            _ackPending = true;
        }

        return count;
    }

    /// <summary>Sends a FIN once every byte written has gone: the peer reads end of stream after them.</summary>
    public void Close() => _finRequested = true;

    /// <summary>Aborts: one RST goes out, and nothing more is sent or delivered.</summary>
    public void Abort(string reason = "aborted locally")
    {
        if (State is ReliableConnectionState.Reset)
        {
            return;
        }

        _rstPending = State is not ReliableConnectionState.Closed;
        EnterReset(reason);
    }

    /// <summary>
    /// A frame addressed to this connection (its destination id is <see cref="LocalId"/>; the driver has checked the
    /// source MAC and, once known, the source connection id). <paramref name="payload"/> is exactly the frame's payload.
    /// </summary>
    public void OnFrame(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        if (State is ReliableConnectionState.Closed && header.Has(FrameFlags.Fin) && !header.Has(FrameFlags.Rst))
        {
            // Our acknowledgement of the peer's FIN was lost: while the driver keeps us, say it again.
            _ackPending = true;
            return;
        }

        if (State is ReliableConnectionState.Closed or ReliableConnectionState.Reset)
        {
            return;
        }

        Debug.Assert(payload.Length == header.PayloadLength);
        if (header.Has(FrameFlags.Rst))
        {
            // A RST from the peer's id for this connection: trust it only if it is within the window we expect,
            // so that a stale or forged one does not end a live connection.
            if (State is ReliableConnectionState.SynSent)
            {
                // Only an answer to our SYN: it acknowledges our initial sequence number.
                if (header.Has(FrameFlags.Ack) && header.Acknowledgement == _isn)
                {
                    EnterReset("refused by the peer (nothing listens there)");
                }
                else
                {
                    _counters.OutOfWindowFrames++;
                }
            }
            else if (InReceiveWindow(header.Sequence))
            {
                ResetByPeer = true;
                EnterReset("reset by the peer");
            }
            else
            {
                _counters.OutOfWindowFrames++;
            }
            return;
        }

        long now = _time.GetTimestamp();
        switch (State)
        {
            case ReliableConnectionState.SynSent:
                if (header.Has(FrameFlags.Syn) && header.Has(FrameFlags.Ack) && header.Acknowledgement == _isn)
                {
                    _lastReceived = now;
                    PeerId = header.SourceConnectionId;
                    TakePeerMaxPayload(payload);
                    StartReceiving(header.Sequence);
                    UpdatePeerEdge(header.Acknowledgement, header.Window, force: true);
                    if (HandshakeUnrepeated)
                    {
                        Sample(now - _timedAt);
                    }
                    State = ReliableConnectionState.Established;
                    _rtoDeadline = 0;
                    _ackPending = true;
                }
                return;

            case ReliableConnectionState.SynReceived:
                if (header.Has(FrameFlags.Syn))
                {
                    // The initiator did not get our SYN+ACK: send it again.
                    _lastReceived = now;
                    _synPending = true;
                    return;
                }

                if (!header.Has(FrameFlags.Ack) || !InSendWindow(header.Acknowledgement))
                {
                    _counters.OutOfWindowFrames++;
                    return;
                }

                if (HandshakeUnrepeated)
                {
                    Sample(now - _timedAt);
                }

                // Only now the rings: a flood of SYNs (spoofed sources, never completed) holds no window's memory.
                RentRings();
                State = ReliableConnectionState.Established;
                _rtoDeadline = 0;
                break;

            default:
                if (header.Has(FrameFlags.Syn))
                {
                    // A SYN+ACK again (our ACK was lost) or a SYN retransmitted late: the acknowledgement answers both.
                    _lastReceived = now;
                    _ackPending = true;
                    return;
                }
                break;
        }

        if (header.Has(FrameFlags.Ack) && !ProcessAck(header, payload.Length, now))
        {
            return;
        }

        _lastReceived = now;
        if (payload.Length > 0 || header.Has(FrameFlags.Fin))
        {
            ProcessData(header.Sequence, payload, header.Has(FrameFlags.Fin));
        }

        if (header.Has(FrameFlags.AckRequest))
        {
            _ackPending = true;
        }

        if (_finRequested && _peerFinished && IsSendComplete)
        {
            State = ReliableConnectionState.Closed;
            _rtoDeadline = 0;
        }
    }

    /// <summary>
    /// Writes the next frame this connection has to send (header and payload; the MAC header is the driver's) into
    /// <paramref name="frame"/>, which holds at least <see cref="FrameHeader.Length"/> + the maximum payload. False when
    /// there is nothing to send now.
    /// </summary>
    public bool TryWriteFrame(Span<byte> frame, out int length)
    {
        length = 0;
        if (_rstPending)
        {
            _rstPending = false;
            length = WriteHeader(frame, FrameFlags.Rst | (PeerId != 0 ? FrameFlags.Ack : 0), _sndNxt, 0);
            return true;
        }

        switch (State)
        {
            case ReliableConnectionState.Closed when _ackPending:
                length = WriteHeader(frame, FrameFlags.Ack, _sndNxt, 0);
                return true;

            case ReliableConnectionState.Closed or ReliableConnectionState.Reset:
                return false;

            case ReliableConnectionState.SynSent:
                if (!_synPending)
                {
                    return false;
                }

                _synPending = false;
                StartHandshakeTimer();
                return WriteSyn(frame, FrameFlags.Syn, out length);

            case ReliableConnectionState.SynReceived:
                if (!_synPending)
                {
                    return false;
                }

                _synPending = false;
                StartHandshakeTimer();
                return WriteSyn(frame, FrameFlags.Syn | FrameFlags.Ack, out length);
        }

        long now = _time.GetTimestamp();
        if (_retransmitOne)
        {
            _retransmitOne = false;
            if (_sndMax != _sndUna)
            {
                _counters.Retransmissions++;
                _counters.FastRetransmissions++;
                _timing = false;
                length = WriteSegment(frame, _sndUna, out _);
                return true;
            }
        }

        if (Less(_sndNxt, _sndEnd) || (_finRequested && _sndNxt == _sndEnd))
        {
            int allowed = Math.Min((int)(_peerEdge - _sndNxt), (int)(_sndUna + (uint)_cwnd - _sndNxt));
            int available = (int)(_sndEnd - _sndNxt);
            // A FIN needs no room in the peer's ring; data does.
            if (allowed > 0 || available == 0)
            {
                bool retransmission = Less(_sndNxt, _sndMax);
                uint start = _sndNxt;
                length = WriteSegment(frame, start, out uint consumed, Math.Max(allowed, 0));
                _sndNxt = start + consumed;
                if (retransmission)
                {
                    _counters.Retransmissions++;
                }
                else if (!_timing)
                {
                    _timing = true;
                    _timedEnd = _sndNxt;
                    _timedAt = now;
                }

                _sndMax = Max(_sndMax, _sndNxt);
                if (_rtoDeadline == 0)
                {
                    _rtoDeadline = now + _rto;
                }

                return true;
            }

            // Shut out by the peer's window with nothing in flight: the timer becomes a persist timer (window probe).
            if (_rtoDeadline == 0 && _sndMax == _sndUna)
            {
                _rtoDeadline = now + _rto;
            }
        }

        if (_probePending)
        {
            _probePending = false;
            _lastProbe = now;
            length = WriteHeader(frame, FrameFlags.Ack | FrameFlags.AckRequest, _sndNxt, 0);
            return true;
        }

        if (_ackPending || _immediateAcks > 0)
        {
            if (_immediateAcks > 0)
            {
                _immediateAcks--;
            }

            length = WriteHeader(frame, FrameFlags.Ack, _sndNxt, 0);
            return true;
        }

        return false;
    }

    /// <summary>When <see cref="OnTimer"/> next has work (a <see cref="TimeProvider"/> timestamp); <see cref="long.MaxValue"/> for never.</summary>
    public long NextDeadline
    {
        get
        {
            switch (State)
            {
                case ReliableConnectionState.Closed or ReliableConnectionState.Reset:
                    return long.MaxValue;
                case ReliableConnectionState.SynSent or ReliableConnectionState.SynReceived:
                    return Math.Min(_rtoDeadline == 0 ? long.MaxValue : _rtoDeadline, _createdAt + _connectTimeout);
            }

            long deadline = _lastReceived + _deadPeer;
            if (_rtoDeadline != 0)
            {
                deadline = Math.Min(deadline, _rtoDeadline);
            }

            return Math.Min(deadline, KeepaliveDue);
        }
    }

    private long KeepaliveDue => Math.Max(_lastReceived, _lastProbe) + _keepalive;

    /// <summary>Runs the timers: retransmission (or persist), keepalive, connect timeout and dead-peer detection.</summary>
    public void OnTimer()
    {
        if (State is ReliableConnectionState.Closed or ReliableConnectionState.Reset)
        {
            return;
        }

        long now = _time.GetTimestamp();
        if (State is ReliableConnectionState.SynSent or ReliableConnectionState.SynReceived)
        {
            if (now - _createdAt >= _connectTimeout)
            {
                _rstPending = State is ReliableConnectionState.SynReceived;
                EnterReset("the connection handshake timed out");
                return;
            }
        }
        else if (now - _lastReceived >= _deadPeer)
        {
            _rstPending = true;
            EnterReset("the peer stopped answering");
            return;
        }

        if (_rtoDeadline != 0 && now >= _rtoDeadline)
        {
            _counters.Timeouts++;
            _rto = Math.Min(_rto * 2, _maxRto);
            _timing = false;
            if (State is ReliableConnectionState.SynSent or ReliableConnectionState.SynReceived)
            {
                _synPending = true;
            }
            else if (_sndMax != _sndUna)
            {
                // Go back to the oldest unacknowledged byte; start again from one frame.
                _ssthresh = Math.Max((int)(_sndMax - _sndUna) / 2, 2 * RestartWindowFrames * _mss);
                _cwnd = RestartWindowFrames * _mss;
                _dupAcks = 0;
                _sndNxt = _sndUna;
            }
            else if (Less(_sndNxt, _sndEnd))
            {
                _probePending = true;
            }

            _rtoDeadline = now + _rto;
        }

        if (State is ReliableConnectionState.Established && now >= KeepaliveDue)
        {
            _probePending = true;
            _lastProbe = now;
        }
    }

    public void Dispose()
    {
        byte[]? send = Interlocked.Exchange(ref _sendRing, null);
        byte[]? receive = Interlocked.Exchange(ref _receiveRing, null);
        if (send is not null)
        {
            ArrayPool<byte>.Shared.Return(send);
        }

        if (receive is not null)
        {
            ArrayPool<byte>.Shared.Return(receive);
        }

        if (State is not (ReliableConnectionState.Closed or ReliableConnectionState.Reset))
        {
            EnterReset("disposed");
        }
    }

    /// <summary>True while the handshake frame has not been sent twice (Karn: only an unrepeated frame gives a sample).</summary>
    private bool HandshakeUnrepeated => _counters.Timeouts == 0 && _timedAt != 0;

    private void RentRings()
    {
        _sendRing ??= ArrayPool<byte>.Shared.Rent(_options.SendBufferSize);
        _receiveRing ??= ArrayPool<byte>.Shared.Rent(_options.ReceiveBufferSize);
    }

    private void StartHandshakeTimer()
    {
        long now = _time.GetTimestamp();
        if (_counters.Timeouts == 0)
        {
            _timedAt = now;
        }

        _rtoDeadline = now + _rto;
    }

    /// <summary>The largest payload in use: this end's, or the peer's if smaller (learnt from its SYN or SYN+ACK).</summary>
    public int MaxPayload => _mss;

    private bool WriteSyn(Span<byte> frame, FrameFlags flags, out int length)
    {
        BinaryPrimitives.WriteUInt16BigEndian(frame[FrameHeader.Length..], (ushort)_options.MaxPayload);
        length = WriteHeader(frame, flags, _isn, SynPayloadLength);
        return true;
    }

    private void TakePeerMaxPayload(ReadOnlySpan<byte> synPayload)
    {
        if (synPayload.Length >= SynPayloadLength)
        {
            int peer = BinaryPrimitives.ReadUInt16BigEndian(synPayload);
            if (peer >= 64)
            {
                _mss = Math.Min(_mss, peer);
            }
        }
    }

    private void StartReceiving(uint peerInitialSequence)
    {
        _rcvRead = _rcvNxt = peerInitialSequence;
        _advertisedEdge = peerInitialSequence + _receiveCapacity;
    }

    private bool InReceiveWindow(uint sequence) =>
        LessOrEqual(_rcvNxt - _receiveCapacity, sequence) && LessOrEqual(sequence, _rcvRead + _receiveCapacity + 1);

    private bool InSendWindow(uint acknowledgement) => LessOrEqual(_sndUna, acknowledgement) && LessOrEqual(acknowledgement, _sndMax);

    private void UpdatePeerEdge(uint acknowledgement, uint window, bool force)
    {
        uint edge = acknowledgement + window;
        if (force || Greater(edge, _peerEdge))
        {
            _peerEdge = edge;
        }
    }

    /// <returns>False when the acknowledgement acknowledges what was never sent: the frame is dropped.</returns>
    private bool ProcessAck(in FrameHeader header, int payloadLength, long now)
    {
        uint ack = header.Acknowledgement;
        if (Greater(ack, _sndMax))
        {
            _counters.OutOfWindowFrames++;
            _ackPending = true;
            return false;
        }

        if (Less(ack, _sndUna))
        {
            // An old acknowledgement, overtaken by a newer one: its window says nothing current either.
            return true;
        }

        uint previousEdge = _peerEdge;
        if (ack != _sndUna)
        {
            int acked = (int)(ack - _sndUna);
            _sndUna = ack;
            if (Less(_sndNxt, ack))
            {
                _sndNxt = ack;
            }

            if (_timing && LessOrEqual(_timedEnd, ack))
            {
                _timing = false;
                Sample(now - _timedAt);
            }

            _dupAcks = 0;
            // Byte counting (RFC 3465's idea, without its per-ack limit): the receiver acknowledges once per batch of
            // frames it takes in, so growth per acknowledgement must follow the bytes acknowledged, not the count.
            _cwnd = _cwnd < _ssthresh
                ? _cwnd + acked
                : _cwnd + Math.Max(1, (int)((long)_mss * acked / _cwnd));
            _cwnd = Math.Min(_cwnd, _options.SendBufferSize);
            _rtoDeadline = _sndUna != _sndMax ? now + _rto : 0;
            UpdatePeerEdge(ack, header.Window, force: false);
        }
        else
        {
            UpdatePeerEdge(ack, header.Window, force: false);
            if (payloadLength == 0 && !header.Has(FrameFlags.Fin) && _peerEdge == previousEdge && _sndMax != _sndUna
                && ++_dupAcks == DuplicateAckThreshold)
            {
                _ssthresh = Math.Max((int)(_sndMax - _sndUna) / 2, 2 * _mss);
                _cwnd = _ssthresh;
                _retransmitOne = true;
            }
        }

        return true;
    }

    private void ProcessData(uint sequence, ReadOnlySpan<byte> payload, bool fin)
    {
        uint start = sequence;
        uint end = sequence + (uint)payload.Length;
        uint windowEnd = _rcvRead + _receiveCapacity;

        if (LessOrEqual(end, _rcvNxt) && !(fin && end == _rcvNxt && !_peerFinished))
        {
            // All of it arrived before (our acknowledgement was lost or the frame was duplicated): say so again.
            if (payload.Length > 0 || fin)
            {
                _counters.DuplicateFrames++;
            }

            _ackPending = true;
            return;
        }

        if (Greater(start, windowEnd) || (start - _rcvNxt) > _receiveCapacity && Greater(start, _rcvNxt))
        {
            _counters.OutOfWindowFrames++;
            _ackPending = true;
            return;
        }

        if (Less(start, _rcvNxt))
        {
            payload = payload[(int)(_rcvNxt - start)..];
            start = _rcvNxt;
        }

        if (Greater(end, windowEnd))
        {
            // Beyond our window: keep what fits, drop the rest (and a FIN after it).
            payload = payload[..(int)(windowEnd - start)];
            end = windowEnd;
            fin = false;
        }

        CopyIntoRing(_receiveRing!, _receiveMask, start, payload);
        if (fin)
        {
            _peerFinKnown = true;
            _peerFinAt = end;
        }

        if (start == _rcvNxt)
        {
            _rcvNxt = end;
            MergeRanges();
            _ackPending = true;
        }
        else
        {
            _counters.OutOfOrderFrames++;
            AddRange(start, end);
            if (_immediateAcks < MaxImmediateAcks)
            {
                _immediateAcks++;
            }
        }

        if (_peerFinKnown && _rcvNxt == _peerFinAt)
        {
            _peerFinished = true;
            _ackPending = true;
        }
    }

    private void AddRange(uint start, uint end)
    {
        for (int i = 0; i < _rangeCount; i++)
        {
            // Overlapping or touching: widen the range in place.
            if (LessOrEqual(start, _rangeEnd[i]) && LessOrEqual(_rangeStart[i], end))
            {
                if (Less(start, _rangeStart[i]))
                {
                    _rangeStart[i] = start;
                }

                if (Greater(end, _rangeEnd[i]))
                {
                    _rangeEnd[i] = end;
                }

                return;
            }
        }

        if (_rangeCount < _rangeStart.Length)
        {
            _rangeStart[_rangeCount] = start;
            _rangeEnd[_rangeCount] = end;
            _rangeCount++;
        }
        // Otherwise the bytes sit in the ring unrecorded: harmless, they come again after the gap.
    }

    private void MergeRanges()
    {
        bool merged = true;
        while (merged && _rangeCount > 0)
        {
            merged = false;
            for (int i = 0; i < _rangeCount; i++)
            {
                if (LessOrEqual(_rangeStart[i], _rcvNxt))
                {
                    _rcvNxt = Max(_rcvNxt, _rangeEnd[i]);
                    _rangeCount--;
                    _rangeStart[i] = _rangeStart[_rangeCount];
                    _rangeEnd[i] = _rangeEnd[_rangeCount];
                    merged = true;
                    break;
                }
            }
        }
    }

    private void Sample(long measured)
    {
        if (measured <= 0)
        {
            measured = 1;
        }

        // Jacobson/Karels (as RFC 6298 states them): SRTT and RTTVAR by gains 1/8 and 1/4, RTO = SRTT + 4·RTTVAR.
        if (_srtt == 0)
        {
            _srtt = measured;
            _rttvar = measured / 2;
        }
        else
        {
            _rttvar = ((3 * _rttvar) + Math.Abs(_srtt - measured)) / 4;
            _srtt = ((7 * _srtt) + measured) / 8;
        }

        _rto = Math.Clamp(_srtt + (4 * _rttvar), _minRto, _maxRto);
    }

    private int WriteSegment(Span<byte> frame, uint start, out uint consumed, int allowed = int.MaxValue)
    {
        int available = (int)(_sndEnd - start);
        if (available < 0)
        {
            available = 0;
        }

        int length = Math.Min(Math.Min(available, _mss), allowed);
        bool fin = _finRequested && start + (uint)length == _sndEnd;
        consumed = (uint)length + (fin ? 1u : 0u);
        CopyFromRing(_sendRing!, _sendMask, start, frame.Slice(FrameHeader.Length, length));
        return WriteHeader(frame, FrameFlags.Ack | (fin ? FrameFlags.Fin : 0), start, length);
    }

    private int WriteHeader(Span<byte> frame, FrameFlags flags, uint sequence, int payloadLength)
    {
        uint window = 0;
        uint ackNumber = 0;
        if ((flags & FrameFlags.Ack) != 0)
        {
            ackNumber = _rcvNxt + (_peerFinished ? 1u : 0u);
            uint edge = _rcvRead + _receiveCapacity;
            window = Greater(edge, _rcvNxt) ? edge - _rcvNxt : 0;
            _advertisedEdge = _rcvNxt + window;
            _ackPending = false;
        }
        else if ((flags & FrameFlags.Syn) != 0)
        {
            window = _receiveCapacity;
        }

        new FrameHeader
        {
            Flags = flags,
            PayloadLength = (ushort)payloadLength,
            DestinationConnectionId = (flags & FrameFlags.Syn) != 0 && _isInitiator ? FrameHeader.UnassignedConnectionId : PeerId,
            SourceConnectionId = LocalId,
            Sequence = sequence,
            Acknowledgement = ackNumber,
            Window = window,
        }.WriteTo(frame);
        return FrameHeader.Length + payloadLength;
    }

    private void EnterReset(string reason)
    {
        State = ReliableConnectionState.Reset;
        ResetReason ??= reason;
        _rtoDeadline = 0;
    }

    private static void CopyIntoRing(byte[] ring, uint mask, uint sequence, ReadOnlySpan<byte> data)
    {
        int index = (int)(sequence & mask);
        int first = Math.Min(data.Length, (int)mask + 1 - index);
        data[..first].CopyTo(ring.AsSpan(index));
        data[first..].CopyTo(ring.AsSpan(0));
    }

    private static void CopyFromRing(byte[] ring, uint mask, uint sequence, Span<byte> destination)
    {
        int index = (int)(sequence & mask);
        int first = Math.Min(destination.Length, (int)mask + 1 - index);
        ring.AsSpan(index, first).CopyTo(destination);
        ring.AsSpan(0, destination.Length - first).CopyTo(destination[first..]);
    }

    private static long ToTicks(TimeSpan span, long frequency) => (long)(span.TotalSeconds * frequency);
}
