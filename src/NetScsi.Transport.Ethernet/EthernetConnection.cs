using System.Buffers;
using System.IO.Pipelines;

namespace NetScsi.Transport.Ethernet;

/// <summary>
/// One connection as its endpoint's poller drives it: the <see cref="ReliableConnection"/> state machine between
/// the link and a pair of pipes, the byte stream the stream movers run on. Only the poller thread touches the state
/// machine; the application's side reaches it through the pipes, and its callbacks only set a flag and wake the
/// poller. Nothing is allocated per frame or per write: pipe segments and the rings are pooled.
/// </summary>
internal sealed class EthernetConnection
{
    /// <summary>How long a connection that closed in order stays to acknowledge a FIN sent again.</summary>
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(2);

    /// <summary>How much one service round moves into the application's pipe before it lets other connections run.</summary>
    private const int MaxDeliveryPerRound = 1024 * 1024;

    private static readonly bool s_stats = Environment.GetEnvironmentVariable("NETSCSI_ETH_STATS") == "1";

    private const int Idle = 0;
    private const int Waiting = 1;
    private const int Ready = 2;

    private readonly EthernetEndpoint _endpoint;
    private readonly Pipe _toApplication;
    private readonly Pipe _fromApplication;
    private readonly Action _onReadReady;
    private readonly Action _onFlushDone;
    private readonly TaskCompletionSource _established = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _sendComplete = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ValueTask<ReadResult> _pendingRead;
    private int _readState;
    private ValueTask<FlushResult> _pendingFlush;
    private int _flushState;
    private bool _outputDone;
    private bool _inputDone;
    private bool _establishedSeen;
    private long _closedAt;
    private volatile string? _abortReason;

    public EthernetConnection(EthernetEndpoint endpoint, ReliableConnection reliable, MacAddress peer, PipeOptions toApplication, PipeOptions fromApplication)
    {
        _endpoint = endpoint;
        Reliable = reliable;
        Peer = peer;
        _toApplication = new Pipe(toApplication);
        _fromApplication = new Pipe(fromApplication);
        Pipe = new DuplexPipe(_toApplication.Reader, _fromApplication.Writer);
        _onReadReady = OnReadReady;
        _onFlushDone = OnFlushDone;
    }

    /// <summary>The state machine (poller thread only).</summary>
    public ReliableConnection Reliable { get; }

    /// <summary>The peer's MAC address: frames from any other source are not this connection's.</summary>
    public MacAddress Peer { get; }

    /// <summary>The application's byte stream: input is what the peer sent, output goes to the peer.</summary>
    public IDuplexPipe Pipe { get; }

    /// <summary>The endpoint (interface) the connection runs on.</summary>
    public EthernetEndpoint Endpoint => _endpoint;

    /// <summary>Completes when the handshake does; faults (IOException) when it fails.</summary>
    public Task Established => _established.Task;

    /// <summary>True once the connection is over and its endpoint can forget it.</summary>
    public bool IsFinished { get; private set; }

    /// <summary>The peer's connection id once known, for the endpoint's table of SYNs seen.</summary>
    public uint PeerId => Reliable.PeerId;

    public string RemoteName => $"{EthernetTransport.TransportName}:{_endpoint.Name}/{Peer}";

    /// <summary>Connection_Terminate: an RST goes out and both pipes end. Any thread.</summary>
    public void Abort(string reason = "aborted locally")
    {
        _abortReason ??= reason;
        _endpoint.Wake();
    }

    /// <summary>
    /// Orderly close: what the application flushed goes out, then a FIN; waits (up to <paramref name="timeout"/>) until
    /// the peer has acknowledged everything, then stops reading. Any thread.
    /// </summary>
    public async ValueTask CloseAsync(TimeSpan timeout)
    {
        await _fromApplication.Writer.CompleteAsync().ConfigureAwait(false);
        _endpoint.Wake();
        try
        {
            await _sendComplete.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Abort("the peer did not acknowledge the close");
        }

        await _toApplication.Reader.CompleteAsync().ConfigureAwait(false);
        _endpoint.Wake();
    }

    /// <summary>Waits until the connection is over (closed in order or reset).</summary>
    public Task Ended => _ended.Task;

    /// <summary>
    /// One round of the poller for this connection: application bytes into the state machine, received bytes to the
    /// application, timers, and frames out into <paramref name="batch"/> (sent through <paramref name="link"/> when full).
    /// </summary>
    /// <returns>True when anything moved (the poller then looks again before it waits).</returns>
    public bool Service(long now, FrameBatch batch, IFrameLink link)
    {
        bool work = false;
        if (_abortReason is { } reason && Reliable.State is not (ReliableConnectionState.Reset or ReliableConnectionState.Closed))
        {
            Reliable.Abort(reason);
            work = true;
        }

        if (!_establishedSeen && Reliable.State == ReliableConnectionState.Established)
        {
            _establishedSeen = true;
            _established.TrySetResult();
            _endpoint.OnEstablished(this);
        }

        work |= PumpFromApplication();
        work |= PumpToApplication();
        if (now >= Reliable.NextDeadline)
        {
            Reliable.OnTimer();
            work = true;
        }

        work |= WriteFrames(batch, link);
        if (Reliable.IsSendComplete && _outputDone)
        {
            _sendComplete.TrySetResult();
        }

        switch (Reliable.State)
        {
            case ReliableConnectionState.Reset:
                // Aborted here (Connection_Terminate), or by the peer's (the peer's engine terminated it, often while
                // ours does the same): the input just ends, and the engine sees the connection gone. Lost to silence
                // or a failed handshake: the application hears of it as a failure.
                Finish(_abortReason is not null || (Reliable.ResetByPeer && _establishedSeen)
                    ? null
                    : new IOException($"The Ethernet connection to {Peer} on {_endpoint.Name} was reset: {Reliable.ResetReason}."));
                break;
            case ReliableConnectionState.Closed:
                if (_closedAt == 0)
                {
                    _closedAt = now;
                    CompleteApplicationInput(null);
                }
                else if (_endpoint.Time.GetElapsedTime(_closedAt, now) >= Linger)
                {
                    Finish(null);
                }
                break;
        }

        return work;
    }

    /// <summary>When <see cref="Service"/> next has timed work.</summary>
    public long NextDeadline => _closedAt != 0 ? _closedAt + (long)(Linger.TotalSeconds * _endpoint.Time.TimestampFrequency) : Reliable.NextDeadline;

    /// <summary>Ends the connection because its endpoint stops.</summary>
    public void Shutdown()
    {
        if (!IsFinished)
        {
            Reliable.Abort("the interface's endpoint stopped");
            Finish(new IOException($"The Ethernet endpoint on {_endpoint.Name} stopped."));
        }
    }

    private bool WriteFrames(FrameBatch batch, IFrameLink link)
    {
        bool any = false;
        while (true)
        {
            if (batch.IsFull)
            {
                link.Send(batch);
            }

            Span<byte> slot = batch.Slot(batch.Count);
            if (!Reliable.TryWriteFrame(slot[EthernetHeader.Length..], out int length))
            {
                return any;
            }

            new EthernetHeader(Peer, link.Address, EthernetHeader.NetScsiEtherType).WriteTo(slot);
            // Pad to the minimum frame ourselves: the kernel does it for real NICs but not for veth.
            int frameLength = Math.Max(EthernetHeader.Length + length, EthernetHeader.MinimumFrameLength);
            slot[(EthernetHeader.Length + length)..frameLength].Clear();
            batch.SetLength(batch.Count, frameLength);
            batch.Count++;
            any = true;
        }
    }

    private bool PumpFromApplication()
    {
        bool work = false;
        PipeReader reader = _fromApplication.Reader;
        while (!_outputDone && Reliable.WritableBytes > 0)
        {
            ReadResult result;
            int state = Volatile.Read(ref _readState);
            if (state == Waiting)
            {
                return work;
            }

            if (state == Ready)
            {
                result = _pendingRead.GetAwaiter().GetResult();
                _pendingRead = default;
                Volatile.Write(ref _readState, Idle);
            }
            else
            {
                ValueTask<ReadResult> read = reader.ReadAsync();
                if (read.IsCompleted)
                {
                    result = read.GetAwaiter().GetResult();
                }
                else
                {
                    _pendingRead = read;
                    Volatile.Write(ref _readState, Waiting);
                    read.GetAwaiter().UnsafeOnCompleted(_onReadReady);
                    return work;
                }
            }

            ReadOnlySequence<byte> buffer = result.Buffer;
            long consumed = 0;
            foreach (ReadOnlyMemory<byte> segment in buffer)
            {
                int written = Reliable.Write(segment.Span);
                consumed += written;
                if (written < segment.Length)
                {
                    break;
                }
            }

            reader.AdvanceTo(buffer.GetPosition(consumed));
            work |= consumed > 0;
            if (result.IsCompleted && consumed == buffer.Length)
            {
                // The application closed its output: a FIN after the last byte.
                reader.Complete();
                _outputDone = true;
                Reliable.Close();
                return true;
            }

            if (consumed == 0)
            {
                return work;
            }
        }

        return work;
    }

    private bool PumpToApplication()
    {
        if (_inputDone)
        {
            return DiscardInput();
        }

        int state = Volatile.Read(ref _flushState);
        if (state == Waiting)
        {
            return false;
        }

        if (state == Ready)
        {
            FlushResult flushed = _pendingFlush.GetAwaiter().GetResult();
            _pendingFlush = default;
            Volatile.Write(ref _flushState, Idle);
            if (flushed.IsCompleted)
            {
                _inputDone = true;
                return DiscardInput();
            }
        }

        PipeWriter writer = _toApplication.Writer;
        int moved = 0;
        while (Reliable.ReadableBytes > 0 && moved < MaxDeliveryPerRound)
        {
            Span<byte> span = writer.GetSpan(Math.Min(Reliable.ReadableBytes, 64 * 1024));
            int read = Reliable.Read(span);
            writer.Advance(read);
            moved += read;
        }

        if (moved > 0)
        {
            ValueTask<FlushResult> flush = writer.FlushAsync();
            if (flush.IsCompleted)
            {
                if (flush.GetAwaiter().GetResult().IsCompleted)
                {
                    _inputDone = true;
                }
            }
            else
            {
                _pendingFlush = flush;
                Volatile.Write(ref _flushState, Waiting);
                flush.GetAwaiter().UnsafeOnCompleted(_onFlushDone);
            }
        }

        if (Reliable.IsEndOfStream && Volatile.Read(ref _flushState) == Idle)
        {
            CompleteApplicationInput(null);
        }

        return moved > 0;
    }

    /// <summary>The application no longer reads: what arrives is taken and dropped, so the window stays open for the FIN.</summary>
    private bool DiscardInput()
    {
        Span<byte> scratch = stackalloc byte[1024];
        bool any = false;
        while (Reliable.Read(scratch) > 0)
        {
            any = true;
        }

        return any;
    }

    private void CompleteApplicationInput(Exception? error)
    {
        if (_inputDone)
        {
            return;
        }

        _inputDone = true;
        _toApplication.Writer.Complete(error);
    }

    private void Finish(Exception? error)
    {
        if (IsFinished)
        {
            return;
        }

        IsFinished = true;
        if (s_stats)
        {
            ReliableConnectionCounters c = Reliable.Counters;
            Console.Error.WriteLine($"eth {RemoteName}: retransmissions {c.Retransmissions} timeouts {c.Timeouts} fast {c.FastRetransmissions} dup {c.DuplicateFrames} ooo {c.OutOfOrderFrames} outside {c.OutOfWindowFrames} srtt {Reliable.SmoothedRoundTrip.TotalMicroseconds:0}us rto {Reliable.RetransmitTimeout.TotalMilliseconds:0}ms");
        }

        if (!_establishedSeen)
        {
            _established.TrySetException(error ?? new IOException($"The Ethernet connection to {Peer} on {_endpoint.Name} ended during its handshake."));
        }

        if (Volatile.Read(ref _flushState) == Waiting)
        {
            // The application is not reading: end the pipe regardless (it sees the end after what it holds).
            _inputDone = false;
        }

        CompleteApplicationInput(error);
        _outputDone = true;
        _fromApplication.Reader.Complete();
        _sendComplete.TrySetResult();
        _ended.TrySetResult();
        Reliable.Dispose();
    }

    private void OnReadReady()
    {
        Volatile.Write(ref _readState, Ready);
        _endpoint.Wake();
    }

    private void OnFlushDone()
    {
        Volatile.Write(ref _flushState, Ready);
        _endpoint.Wake();
    }
}
