using NetScsi.Iscsi.Pdus;
using NetScsi.Iscsi.Session;
using NetScsi.Transport;

namespace NetScsi.Iscsi.Initiator;

/// <summary>
/// One connection of an initiator: the protocol engine's side of its data mover (RFC 5047 upcalls). Until full feature
/// phase it carries login (and, for a discovery session, its Text exchanges) through a <see cref="LoginChannel"/>;
/// then every PDU goes to the <see cref="IscsiSession"/>.
/// </summary>
internal sealed class InitiatorConnection : IInitiatorDataMoverHandler
{
    private readonly CancellationTokenSource _closingSource = new();
    private IscsiSession? _session;
    private int _closing;

    public InitiatorConnection(IInitiatorDataMover mover, ushort cid = 0)
    {
        Mover = mover;
        Cid = cid;
        Channel = new LoginChannel(mover);
        Receiving = ReceiveAsync();
    }

    public IInitiatorDataMover Mover { get; }

    /// <summary>The connection's CID within its session (RFC 7143 §11.12.7): 0 for the leading connection, then 1, 2, ...</summary>
    public ushort Cid { get; }

    /// <summary>The session runs commands on it (one of its current connections); under the session lock.</summary>
    public bool Attached;

    /// <summary>SCSI commands issued on this connection and not yet answered (connection allegiance, RFC 7143 §7); under the session lock.</summary>
    public int Outstanding;

    /// <summary>SCSI commands ever issued on this connection: lets tests and tools see how the load spread.</summary>
    public long Issued;

    /// <summary>TTTs of the target's NOP-In pings to answer: on this connection, the one they came on (RFC 7143 §11.18); under the session lock.</summary>
    public readonly Queue<uint> NopReplies = new();

    /// <summary>Immediate requests that must go on this connection (a Logout); under the session lock.</summary>
    public readonly Queue<InitiatorCommand> Controls = new();

    /// <summary>Work was queued from this connection's receive loop; the loop sends it before it would wait for more input.</summary>
    public bool SubmittedWhileReceiving;

    /// <summary>Batches the receive loop handled since work was first held back.</summary>
    public int HeldBatches;

    /// <summary>The login and discovery exchange (before full feature phase).</summary>
    public LoginChannel Channel { get; }

    /// <summary>The mover's receive side, from the first PDU; its end (or failure) goes to the session once attached.</summary>
    public Task Receiving { get; }

    /// <summary>Cancelled when the connection starts closing: ends the mover's receive side and a flush that waits.</summary>
    public CancellationToken Closing => _closingSource.Token;

    public IscsiSessionParameters Parameters { get; private set; } = new();

    public AsyncSignal SendSignal { get; } = new();

    /// <summary>1 while a thread (the send loop, or the receive loop sending inline) writes to the mover.</summary>
    public int Sending;

    /// <summary>
    /// A flush the receive loop started but could not finish without waiting: the send loop awaits it, and
    /// owns <see cref="Sending"/> (left at 1 for it) from then on.
    /// </summary>
    public Task<bool>? HandedOverFlush;

    /// <summary>Written by the receive loop, read by the sender (RFC 7143 §4.2.2.2).</summary>
    public uint ExpStatSN;

    /// <summary>When input last arrived, as of the last <see cref="LastReceived"/> that saw it arrive.</summary>
    private long _lastReceiveTimestamp;
    private long _lastReceiveCount;

    /// <summary>
    /// When the connection last received something, judged at <paramref name="now"/> by whether the mover's input
    /// count moved since the last look (the watchdog looks every few hundred milliseconds): no clock read per PDU.
    /// </summary>
    public long LastReceived(long now)
    {
        long count = Mover.ReceiveCount;
        if (count != _lastReceiveCount)
        {
            _lastReceiveCount = count;
            _lastReceiveTimestamp = now;
        }
        return _lastReceiveTimestamp;
    }

    /// <summary>ITT of our outstanding NOP-Out ping, or 0xffffffff.</summary>
    public uint PingItt = Bhs.ReservedTag;

    public long PingSentTimestamp;

    public bool PingRequested;

    /// <summary>The target asked for a logout on this connection (AsyncEvent 1); one is queued.</summary>
    public bool LogoutRequested;

    public Task SendLoop { get; set; } = Task.CompletedTask;

    /// <summary>True once we decided to close it (logout, recovery, dispose): its loops end quietly.</summary>
    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary>
    /// RFC 5047 Enable_Datamover: the login's outcome applies from the next PDU on (digests, segment lengths). For a
    /// normal session, <paramref name="session"/> takes every PDU from then on.
    /// </summary>
    public void EnableDatamover(LoginOutcome login, long now, IscsiSession? session)
    {
        IscsiSessionParameters p = login.Parameters;
        Parameters = p;
        ExpStatSN = login.ExpStatSN;
        _lastReceiveTimestamp = now;
        _lastReceiveCount = Mover.ReceiveCount;
        Mover.EnableDatamover(p.ToDataMoverParameters(ours: p.InitiatorMaxRecvDataSegmentLength, theirs: p.TargetMaxRecvDataSegmentLength), p.NegotiatedKeys);
        if (session is not null)
        {
            Volatile.Write(ref _session, session);
            Channel.Handled(continueReceiving: true);
        }
    }

    private async Task ReceiveAsync()
    {
        await Task.Yield();
        Exception? error = null;
        try
        {
            await Mover.RunAsync(this, Closing).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException or ObjectDisposedException)
        {
            error = e;
        }

        Channel.Close(error is IscsiConnectionException or IscsiProtocolException ? error : new IscsiConnectionException("The target closed the connection.", error));
        IscsiSession? session = Volatile.Read(ref _session);
        if (session is not null && !IsClosing)
        {
            session.OnReceiveEnded(this, error ?? new IscsiConnectionException("The target closed the connection."));
        }
    }

    /// <summary>Stops both loops; true the first time.</summary>
    public bool BeginClose()
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return false;
        }

        _closingSource.Cancel();
        Channel.Close(new IscsiConnectionException("The connection is closing."));
        SendSignal.Set();
        return true;
    }

    /// <summary>Closes the connection and waits for its loops.</summary>
    public async Task CloseAsync()
    {
        BeginClose();
        try
        {
            await Task.WhenAll(Receiving, SendLoop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException)
        {
        }

        // The loops have stopped using the mover: tear it down.
        Mover.Terminate();
        await Mover.DisposeAsync().ConfigureAwait(false);
    }

    // ---- RFC 5047 upcalls ----

    public ValueTask<bool> OnControlAsync(PduFrame frame)
    {
        IscsiSession? session = _session;
        if (session is null)
        {
            return Channel.DeliverAsync(frame);
        }
        session.HandlePdu(this, frame);
        return new ValueTask<bool>(true);
    }

    public ValueTask<bool> OnFramingErrorAsync(PduReadResult error, PduFrame frame)
    {
        if (_session is null)
        {
            // Garbage where a login answer belongs (a peer that is no iSCSI target, or a broken one): a protocol
            // violation, not a connection failure.
            throw new IscsiProtocolException(error switch
            {
                PduReadResult.HeaderDigestError => "the target's PDU failed its header digest",
                PduReadResult.DataDigestError => "the target's PDU failed its data digest",
                _ => "the peer's answer is not an iSCSI PDU (its data segment length exceeds MaxRecvDataSegmentLength)",
            });
        }

        // ERL 0 (RFC 7143 §7.1.4, §7.8): a digest error or an oversized segment is recovered by replacing the
        // connection; the commands are re-issued.
        throw new IscsiConnectionException("Bad PDU from the target: " + error + ".");
    }

    public DataTask? OnDataIn(in DataInPdu pdu) => _session?.AcceptDataIn(this, pdu);

    public void OnDataInPlaced(DataTask task, in DataInPdu pdu) => _session!.FinishDataIn((InitiatorCommand)task, pdu);

    public DataTask? OnR2T(in ReadyToTransferPdu pdu) => _session?.AcceptR2T(this, pdu);

    public void OnSolicitedDataQueued() => _session?.WakeSender(this);

    public void OnReceiveIdle(bool moreReady) => _session?.OnReceiveIdle(this, moreReady);

    public void OnReceiveBatchStart() => _session?.OnReceiveBatchStart(this);

    public void OnReceiveBatchEnd() => _session?.OnReceiveBatchEnd();

    public bool ExpectsLoneAnswer => _session?.ExpectsLoneAnswer(this) ?? false;
}
