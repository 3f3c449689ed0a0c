using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using NetScsi.Iscsi.Pdus;
using NetScsi.Iscsi.Session;
using NetScsi.Transport;

namespace NetScsi.Iscsi.Target;

/// <summary>
/// One iSCSI connection on the target. A single receive loop parses PDUs in place from the data
/// mover's pipe and dispatches them; responses are written by whichever task finishes, under one
/// send lock that also assigns StatSN (RFC 7143 §4.2.2.2: StatSN order is wire order).
/// </summary>
internal sealed partial class TargetConnection
{
    /// <summary>RFC 7143 §13.12: until negotiated, each side receives at most 8192 bytes per data segment.</summary>
    private const int LoginMaxRecvDataSegmentLength = 8192;

    private readonly IscsiTargetServer _server;
    private readonly IDataMoverConnection _transport;

    /// <summary>The mover's sendfile path, when it has one: reads left in a file go out from there.</summary>
    private readonly IFileSender? _fileSender;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SendLock _sendLock = new();
    private readonly CancellationTokenSource _closed = new();

    private IscsiSessionParameters _parameters = new();
    private bool _fullFeature;
    private bool _headerDigest;
    private bool _dataDigest;
    private int _maxRecvDataSegmentLength = LoginMaxRecvDataSegmentLength;
    private uint _statSN;
    private uint _nextTargetTransferTag;
    private long _lastReceiveTimestamp;
    private uint _pendingPingTag = Bhs.ReservedTag;
    private long _pingSentTimestamp;

    public TargetConnection(IscsiTargetServer server, IDataMoverConnection transport, ILogger logger, TimeProvider time)
    {
        _server = server;
        _transport = transport;
        _fileSender = transport as IFileSender;
        _input = transport.Transport.Input;
        _output = transport.Transport.Output;
        _logger = logger;
        _time = time;
        _lastReceiveTimestamp = time.GetTimestamp();
    }

    public TargetSession? Session { get; private set; }

    /// <summary>This connection's place in the server's connection limits; disposed when the connection ends.</summary>
    internal ConnectionAdmission.Ticket? Admission { get; init; }

    public string RemoteName => _transport.RemoteEndPoint?.ToString() ?? _transport.Kind;

    /// <summary>Set when the connection is going away; pending sends are dropped.</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>Runs the connection until the peer goes away, logs out, or we drop it.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _closed.Token);
        var token = linked.Token;
        var pinger = PingLoopAsync(token);
        try
        {
            await ReceiveLoopAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            LogConnectionError(_logger, RemoteName, e.Message);
        }
        finally
        {
            // A close we decided on (after a final Reject, Logout or Login response) is graceful, so
            // the peer reads that last PDU before end of stream; anything else aborts.
            if (!_closed.IsCancellationRequested)
            {
                await CloseGracefullyAsync().ConfigureAwait(false);
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
            await _transport.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void OnSendFailed(Exception e)
    {
        LogSendFailed(_logger, RemoteName, e);
        Close();
    }

    private async ValueTask CloseGracefullyAsync()
    {
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await _output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Drops the connection now (RFC 5047 Connection_Terminate).</summary>
    public void Close()
    {
        if (CancelClosed())
        {
            _transport.Abort();
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

    private async Task ReceiveLoopAsync(CancellationToken token)
    {
        using var loginTimer = _time.CreateTimer(static state => ((TargetConnection)state!).OnLoginTimeout(), this, _server.Options.LoginTimeout, Timeout.InfiniteTimeSpan);
        bool loginTimerActive = true;
        while (true)
        {
            var result = await _input.ReadAsync(token).ConfigureAwait(false);
            var buffer = result.Buffer;
            _lastReceiveTimestamp = _time.GetTimestamp();
            bool stop = false;
            try
            {
                while (!stop)
                {
                    var status = PduReader.TryRead(buffer, _maxRecvDataSegmentLength, _headerDigest, _dataDigest, out var frame);
                    if (status == PduReadResult.Incomplete)
                    {
                        break;
                    }
                    stop = !await HandleFrameAsync(status, frame).ConfigureAwait(false);
                    if (status is PduReadResult.Complete or PduReadResult.DataDigestError)
                    {
                        buffer = buffer.Slice(frame.WireLength);
                    }
                    if (loginTimerActive && _fullFeature)
                    {
                        loginTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                        loginTimerActive = false;
                    }
                }
            }
            finally
            {
                _input.AdvanceTo(buffer.Start, buffer.End);
            }
            if (stop || result.IsCompleted || result.IsCanceled)
            {
                LogClosing(_logger, RemoteName, stop ? "protocol" : result.IsCompleted ? "end of stream" : "cancelled");
                return;
            }
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

    /// <summary>Handles one located frame; returns false when the connection must end.</summary>
    private async ValueTask<bool> HandleFrameAsync(PduReadResult status, PduFrame frame)
    {
        switch (status)
        {
            case PduReadResult.HeaderDigestError:
                // RFC 7143 §7.8: with a bad header digest the PDU boundaries are lost; at ERL 0 the
                // connection is dropped.
                LogProtocolError(_logger, RemoteName, "header digest error");
                return false;
            case PduReadResult.DataSegmentTooLong:
                // RFC 7143 §13.12, §11.17.1: a data segment above our MaxRecvDataSegmentLength is a protocol
                // error. We answer with Reject and drop the connection instead of buffering it.
                LogProtocolError(_logger, RemoteName, "DataSegmentLength exceeds MaxRecvDataSegmentLength");
                if (_fullFeature)
                {
                    await SendRejectAsync(RejectReason.ProtocolError, frame.Header).ConfigureAwait(false);
                }
                return false;
            case PduReadResult.DataDigestError:
                // RFC 7143 §7.8: discard the PDU and Reject it. At ERL 0 the command it belonged to
                // cannot be recovered, so the session is recovered by dropping the connection.
                LogProtocolError(_logger, RemoteName, "data digest error");
                await SendRejectAsync(RejectReason.DataDigestError, frame.Header).ConfigureAwait(false);
                return false;
        }

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
            case IscsiOpcode.DataOut:
                return await HandleDataOutAsync(frame).ConfigureAwait(false);
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
                // ERL 0: SNACK is not supported (RFC 7143 §11.16).
                await SendRejectAsync(RejectReason.CommandNotSupported, frame.Header).ConfigureAwait(false);
                return true;
            default:
                // RFC 7143 §11.17.1: an opcode we do not know is "command not supported".
                await SendRejectAsync(RejectReason.CommandNotSupported, frame.Header).ConfigureAwait(false);
                return true;
        }
    }

    /// <summary>Moves the connection to full feature phase with the negotiated parameters.</summary>
    private void EnterFullFeaturePhase(IscsiSessionParameters parameters, TargetSession? session)
    {
        _parameters = parameters;
        Session = session;
        _headerDigest = parameters.HeaderDigest;
        _dataDigest = parameters.DataDigest;
        _maxRecvDataSegmentLength = parameters.TargetMaxRecvDataSegmentLength;
        _fullFeature = true;
    }

    private static void CopyData(in ReadOnlySequence<byte> data, Span<byte> destination) => data.CopyTo(destination);

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
