using Microsoft.Extensions.Logging;
using NetScsi.Iscsi.Pdus;
using NetScsi.Iscsi.Session;
using NetScsi.Transport;

namespace NetScsi.Iscsi.Target;

/// <summary>
/// One iSCSI connection on the target: the protocol engine above one data mover (RFC 5047). The mover's receive side
/// frames PDUs and places write data; every other PDU comes here (<see cref="OnControlAsync"/>) and is handled in
/// order. Responses are written by whichever task finishes, under one send lock that also assigns StatSN
/// (RFC 7143 §4.2.2.2: StatSN order is wire order).
/// </summary>
internal sealed partial class TargetConnection : ITargetDataMoverHandler
{
    private readonly IscsiTargetServer _server;
    private readonly ITargetDataMover _mover;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SendLock _sendLock = new();
    private readonly CancellationTokenSource _closed = new();

    /// <summary>Ends the receive side gracefully (after a Logout or cold reset answered beside it).</summary>
    private readonly CancellationTokenSource _stopReceiving = new();

    private IscsiSessionParameters _parameters = new();
    private bool _fullFeature;

    /// <summary>A Logout that ends this connection (and its session) was received: no new command is taken (receive loop only).</summary>
    private bool _loggingOut;
    private uint _statSN;
    private uint _nextPingTag;
    private uint _pendingPingTag = Bhs.ReservedTag;
    private long _pingSentTimestamp;
    private ITimer? _loginTimer;

    public TargetConnection(IscsiTargetServer server, ITargetDataMover mover, ILogger logger, TimeProvider time)
    {
        _server = server;
        _mover = mover;
        _logger = logger;
        _time = time;
    }

    public TargetSession? Session { get; private set; }

    /// <summary>The connection's CID (RFC 7143 §11.12.4), from its first Login Request.</summary>
    public ushort Cid => _cid;

    /// <summary>Commands that arrived on this connection and are not finished; changed under the session's lock.</summary>
    internal int CommandsInFlight;

    /// <summary>
    /// The connection leaves its session alone (Logout "close the connection", a CID reinstated, a login that never
    /// reached full feature phase): its end does not end the session's other connections.
    /// </summary>
    internal bool Departing { get; private set; }

    /// <summary>Closes this connection without ending its session (RFC 7143 §11.14 reason 1 from another connection, §6.3.4).</summary>
    internal void Depart()
    {
        Departing = true;
        Session?.Abort(c => ReferenceEquals(c.Connection, this));
        Close();
    }

    /// <summary>The data mover under this connection.</summary>
    public ITargetDataMover Mover => _mover;

    /// <summary>This connection's place in the server's connection limits; disposed when the connection ends.</summary>
    internal ConnectionAdmission.Ticket? Admission { get; init; }

    /// <summary>The portal this connection was accepted on (null for connections not accepted by a listener).</summary>
    internal Portal? Portal { get; init; }

    public string RemoteName => _mover.RemoteName;

    /// <summary>Set when the connection is going away; pending sends are dropped.</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>Runs the connection until the peer goes away, logs out, or we drop it.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _closed.Token);
        var token = linked.Token;
        using var receiving = CancellationTokenSource.CreateLinkedTokenSource(token, _stopReceiving.Token);
        _loginTimer = _time.CreateTimer(static state => ((TargetConnection)state!).OnLoginTimeout(), this, _server.Options.LoginTimeout, Timeout.InfiniteTimeSpan);
        var pinger = WatchLoopAsync(token);
        try
        {
            DataMoverReceiveEnd end = await _mover.RunAsync(this, receiving.Token).ConfigureAwait(false);
            LogClosing(_logger, RemoteName, _stopReceiving.IsCancellationRequested ? "answered, then closed" : end switch
            {
                DataMoverReceiveEnd.Stopped => "protocol",
                DataMoverReceiveEnd.PeerClosed => "end of stream",
                _ => "cancelled",
            });
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            LogConnectionError(_logger, RemoteName, e.Message);
        }
        finally
        {
            _loginTimer.Dispose();
            // A close we decided on (after a final Reject, Logout or Login response) is graceful, so the peer reads
            // that last PDU before end of stream; anything else aborts. Senders finish before the close (the lock),
            // and none starts after it.
            bool graceful = !_closed.IsCancellationRequested;
            if (graceful)
            {
                await _sendLock.WaitAsync().ConfigureAwait(false);
                CancelClosed();
                _sendLock.Release();
            }
            CancelClosed();
            try
            {
                await pinger.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            var session = Session;
            if (session is not null)
            {
                _server.OnConnectionClosed(this, session);
            }
            await _mover.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void OnSendFailed(Exception e)
    {
        LogSendFailed(_logger, RemoteName, e);
        Close();
    }

    /// <summary>Stops taking PDUs and closes gracefully: what was sent is read before end of stream.</summary>
    private void StopReceiving() => _stopReceiving.Cancel();

    /// <summary>Drops the connection now (RFC 5047 Connection_Terminate).</summary>
    public void Close()
    {
        if (CancelClosed())
        {
            _mover.Terminate();
        }
    }

    /// <summary>Signals everything tied to the connection to stop; true the first time.</summary>
    private bool CancelClosed()
    {
        lock (_closed)
        {
            if (_closed.IsCancellationRequested)
            {
                return false;
            }
            _closed.Cancel();
            return true;
        }
    }

    private void OnLoginTimeout()
    {
        if (!_fullFeature)
        {
            LogLoginTimeout(_logger, RemoteName);
            Close();
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> OnFramingErrorAsync(PduReadResult error, PduFrame frame)
    {
        switch (error)
        {
            case PduReadResult.HeaderDigestError:
                // RFC 7143 §7.8: with a bad header digest the PDU boundaries are lost; at ERL 0 the
                // connection is dropped.
                LogProtocolError(_logger, RemoteName, "header digest error");
                IscsiMeter.DigestError("header");
                return new ValueTask<bool>(false);
            case PduReadResult.DataSegmentTooLong:
                // RFC 7143 §13.12, §11.17.1: a data segment above our MaxRecvDataSegmentLength is a protocol
                // error. We answer with Reject and drop the connection instead of buffering it.
                LogProtocolError(_logger, RemoteName, "DataSegmentLength exceeds MaxRecvDataSegmentLength");
                return _fullFeature ? RejectAndStopAsync(RejectReason.ProtocolError, frame.Header) : new ValueTask<bool>(false);
            default:
                // RFC 7143 §7.8: discard the PDU and Reject it. At ERL 0 the command it belonged to
                // cannot be recovered, so the session is recovered by dropping the connection.
                LogProtocolError(_logger, RemoteName, "data digest error");
                IscsiMeter.DigestError("data");
                return RejectAndStopAsync(RejectReason.DataDigestError, frame.Header);
        }
    }

    private async ValueTask<bool> RejectAndStopAsync(RejectReason reason, BhsBuffer header)
    {
        await SendRejectAsync(reason, header).ConfigureAwait(false);
        return false;
    }

    /// <inheritdoc/>
    /// <remarks>RFC 5047 Control_Notify: one PDU; false when the connection must end.</remarks>
    public async ValueTask<bool> OnControlAsync(PduFrame frame)
    {
        if (!_fullFeature)
        {
            return await HandleLoginPhaseAsync(frame).ConfigureAwait(false);
        }

        var opcode = frame.Opcode;
        if (frame.AdditionalHeaders.Length > 0 && opcode != IscsiOpcode.ScsiCommand)
        {
            await SendRejectAsync(RejectReason.ProtocolError, frame.Header).ConfigureAwait(false);
            return true;
        }
        switch (opcode)
        {
            case IscsiOpcode.ScsiCommand:
                return await HandleScsiCommandAsync(frame).ConfigureAwait(false);
            case IscsiOpcode.NopOut:
                return await HandleNopOutAsync(frame).ConfigureAwait(false);
            case IscsiOpcode.TextRequest:
                return await HandleTextRequestAsync(frame).ConfigureAwait(false);
            case IscsiOpcode.TaskManagementRequest:
                return await HandleTaskManagementAsync(frame).ConfigureAwait(false);
            case IscsiOpcode.LogoutRequest:
                return await HandleLogoutAsync(frame).ConfigureAwait(false);
            case IscsiOpcode.LoginRequest:
                // RFC 7143 §6.3: a Login Request in full feature phase is a protocol error.
                await SendRejectAsync(RejectReason.ProtocolError, frame.Header).ConfigureAwait(false);
                return false;
            case IscsiOpcode.SnackRequest:
                // RFC 7143 §11.16, §13.20: SNACK is defined for ErrorRecoveryLevel 1 and above; a known opcode used at
                // ERL 0, where it names nothing we could resend, is a protocol error (Reject 0x04), not an unknown
                // command (0x05). LIO answers the same. The session goes on.
                await SendRejectAsync(RejectReason.ProtocolError, frame.Header).ConfigureAwait(false);
                return true;
            default:
                // RFC 7143 §11.17.1: an opcode we do not know is "command not supported".
                await SendRejectAsync(RejectReason.CommandNotSupported, frame.Header).ConfigureAwait(false);
                return true;
        }
    }

    /// <summary>Moves the connection to full feature phase with the negotiated parameters (RFC 5047 Enable_Datamover).</summary>
    private void EnterFullFeaturePhase(IscsiSessionParameters parameters, TargetSession? session)
    {
        _parameters = parameters;
        Session = session;
        _mover.EnableDatamover(parameters.ToDataMoverParameters(ours: parameters.TargetMaxRecvDataSegmentLength, theirs: parameters.InitiatorMaxRecvDataSegmentLength), parameters.NegotiatedKeys);
        _fullFeature = true;
        _loginTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection {Remote}: {Message}")]
    private static partial void LogConnectionError(ILogger logger, string remote, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {Remote}: protocol error: {Reason}")]
    private static partial void LogProtocolError(ILogger logger, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {Remote}: send failed")]
    private static partial void LogSendFailed(ILogger logger, string remote, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {Remote}: closing ({Reason})")]
    private static partial void LogClosing(ILogger logger, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {Remote}: login did not complete in time")]
    private static partial void LogLoginTimeout(ILogger logger, string remote);
}
