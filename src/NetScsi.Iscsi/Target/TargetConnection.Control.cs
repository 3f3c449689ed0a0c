using System.Buffers;
using NetScsi.Iscsi.Pdus;

namespace NetScsi.Iscsi.Target;

internal sealed partial class TargetConnection
{
    /// <summary>How long Logout waits for in-flight commands before closing anyway.</summary>
    private static readonly TimeSpan s_logoutDrainTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a task management function waits for aborted tasks to stop. Well below open-iscsi's
    /// default abort timeout (node.session.err_timeo.abort_timeout = 15 s), after which the Linux
    /// initiator drops the connection instead of escalating to a LUN reset.
    /// </summary>
    private static readonly TimeSpan s_abortWaitTimeout = TimeSpan.FromSeconds(8);

    /// <summary>Accepts a non-SCSI request's CmdSN; discovery sessions keep their own counter.</summary>
    private bool AcceptCmdSN(uint cmdSN, bool immediate)
    {
        var session = Session;
        if (session is not null)
        {
            return session.TryAcceptCmdSN(cmdSN, immediate);
        }
        if (immediate)
        {
            return true;
        }
        if (cmdSN != _discoveryExpCmdSN)
        {
            return false;
        }
        _discoveryExpCmdSN++;
        return true;
    }

    private void CompleteNonScsi(bool immediate) => Session?.CompleteNonScsi(immediate);

    /// <summary>NOP-Out (RFC 7143 §11.18): a ping to answer, or the answer to ours.</summary>
    private async ValueTask<bool> HandleNopOutAsync(PduFrame frame)
    {
        var pdu = NopOutPdu.Parse(frame.Header);
        if (pdu.InitiatorTaskTag == Bhs.ReservedTag)
        {
            // §11.18.4: ITT 0xffffffff is either the reply to our NOP-In (TTT echoed) or a ping that
            // wants no answer. Neither gets a response; neither may advance CmdSN.
            if (pdu.TargetTransferTag == Bhs.ReservedTag)
            {
                return true;
            }
            if (pdu.TargetTransferTag == _pendingPingTag)
            {
                _pendingPingTag = Bhs.ReservedTag;
                return true;
            }
            // §11.18.3, §11.17.1: an answer to a NOP-In we have no ping outstanding for names a Target Transfer Tag
            // that does not exist: "invalid PDU field".
            await SendRejectAsync(RejectReason.InvalidPduField, frame.Header).ConfigureAwait(false);
            return true;
        }
        if (pdu.TargetTransferTag != Bhs.ReservedTag)
        {
            // §11.18.3: a NOP-Out that is not an answer (valid ITT) carries TTT 0xffffffff; any other tag names
            // no NOP-In of ours.
            await SendRejectAsync(RejectReason.InvalidPduField, frame.Header).ConfigureAwait(false);
            return true;
        }
        if (!AcceptCmdSN(pdu.CmdSN, pdu.Immediate))
        {
            return true;
        }
        // §11.19: the NOP-In echoes the ping data (the initiator bounded it by our MaxRecvDataSegmentLength;
        // we must also fit the initiator's, so truncate if it declared less).
        var data = new byte[Math.Min(frame.DataSegmentLength, _parameters.InitiatorMaxRecvDataSegmentLength)];
        frame.Data.Slice(0, data.Length).CopyTo(data);
        var response = new NopInPdu
        {
            DataSegmentLength = data.Length,
            Lun = pdu.Lun,
            InitiatorTaskTag = pdu.InitiatorTaskTag,
            TargetTransferTag = Bhs.ReservedTag,
        };
        CompleteNonScsi(pdu.Immediate);
        await SendWithStatSNAsync(data, response).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// The connection's watchdog, one tick at a time: target-initiated pings (RFC 7143 §11.19 with TTT ≠ 0xffffffff)
    /// that find dead connections, and the output limit: a connection whose sends make no progress for
    /// <see cref="IscsiTargetLimits.OutputStallTimeout"/> (a peer that stopped reading) is dropped, which frees what its
    /// commands hold. A ping waiting for the send lock does not hold the watchdog up.
    /// </summary>
    private async Task WatchLoopAsync(CancellationToken token)
    {
        var interval = _server.Options.NopInInterval;
        var timeout = _server.Options.NopInTimeout;
        var stallTimeout = _server.Options.Limits.OutputStallTimeout;
        bool pinging = interval > TimeSpan.Zero;
        bool watchingOutput = stallTimeout > TimeSpan.Zero;
        if (!pinging && !watchingOutput)
        {
            return;
        }
        double tickMs = double.MaxValue;
        if (pinging)
        {
            tickMs = Math.Min(interval.TotalMilliseconds, timeout.TotalMilliseconds) / 4;
        }
        if (watchingOutput)
        {
            tickMs = Math.Min(tickMs, stallTimeout.TotalMilliseconds / 4);
        }
        var tick = TimeSpan.FromMilliseconds(Math.Max(100, tickMs));
        // The connection is idle since the last tick on which the mover had received nothing new.
        long lastReceiveCount = _mover.ReceiveCount;
        long lastReceiveTimestamp = _time.GetTimestamp();
        long lastSends = _mover.SendCount;
        long lastSendProgress = lastReceiveTimestamp;
        Task pingSend = Task.CompletedTask;
        while (!token.IsCancellationRequested)
        {
            await Task.Delay(tick, _time, token).ConfigureAwait(false);
            long now = _time.GetTimestamp();
            long receiveCount = _mover.ReceiveCount;
            if (receiveCount != lastReceiveCount)
            {
                lastReceiveCount = receiveCount;
                lastReceiveTimestamp = now;
            }
            long sends = _mover.SendCount;
            if (sends != lastSends || !_sendLock.IsHeld)
            {
                lastSends = sends;
                lastSendProgress = now;
            }
            else if (watchingOutput && _time.GetElapsedTime(lastSendProgress, now) > stallTimeout)
            {
                LogOutputStalled(_logger, RemoteName, (int)stallTimeout.TotalSeconds);
                Close();
                return;
            }
            if (!pinging || !_fullFeature)
            {
                continue;
            }
            if (_pendingPingTag != Bhs.ReservedTag)
            {
                // An unanswered ping condemns the connection only while commands are outstanding on it (not merely
                // on another connection of the session): the initiator must be reading it then. Some initiators
                // (libiscsi's synchronous API) read an idle connection only when they next use it; a peer that
                // vanished while idle is found by TCP keepalive instead.
                if (_time.GetElapsedTime(_pingSentTimestamp, now) > timeout && Volatile.Read(ref CommandsInFlight) > 0)
                {
                    LogPingTimeout(_logger, RemoteName);
                    Close();
                    return;
                }
                continue;
            }
            if (_time.GetElapsedTime(lastReceiveTimestamp, now) < interval || !pingSend.IsCompleted)
            {
                continue;
            }
            uint tag = NextPingTag();
            _pingSentTimestamp = now;
            _pendingPingTag = tag;
            ValueTask send = SendPingAsync(tag);
            pingSend = send.IsCompletedSuccessfully ? Task.CompletedTask : send.AsTask();
        }
    }

    /// <summary>Task Management Function Request (RFC 7143 §11.5).</summary>
    private async ValueTask<bool> HandleTaskManagementAsync(PduFrame frame)
    {
        var pdu = TaskManagementRequestPdu.Parse(frame.Header);
        var session = Session;
        if (session is null)
        {
            await SendRejectAsync(RejectReason.ProtocolError, frame.Header).ConfigureAwait(false);
            return true;
        }
        if (!AcceptCmdSN(pdu.CmdSN, pdu.Immediate))
        {
            return true;
        }
        var aborted = new List<Task>();
        var response = _server.ExecuteTaskManagement(session, pdu, aborted);
        // TARGET COLD RESET (SAM-5 §7.10): after the response every connection of the target goes.
        bool dropConnections = pdu.Function == TaskManagementFunction.TargetColdReset && response == TaskManagementResponse.FunctionComplete;
        if (aborted.Count == 0)
        {
            await AnswerTaskManagementAsync(session, pdu.Immediate, pdu.InitiatorTaskTag, response, dropConnections).ConfigureAwait(false);
            return !dropConnections;
        }

        // SAM-5 §7: the function is complete once the aborted tasks have stopped, so no write of an aborted task
        // lands after the initiator hears "function complete". That wait happens beside the receive side, which
        // goes on with the connection's other PDUs (a READ is not held up behind a disk that is slow to stop).
        RunBeside(AnswerTaskManagementWhenStoppedAsync(session, aborted, pdu.Immediate, pdu.InitiatorTaskTag, response, dropConnections));
        return true;
    }

    private async Task AnswerTaskManagementWhenStoppedAsync(TargetSession session, List<Task> aborted, bool immediate, uint itt, TaskManagementResponse response, bool dropConnections)
    {
        try
        {
            // Storage that never returns must not hold the function forever.
            await Task.WhenAll(aborted).WaitAsync(s_abortWaitTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            LogAbortWaitTimeout(_logger, RemoteName);
        }
        await AnswerTaskManagementAsync(session, immediate, itt, response, dropConnections).ConfigureAwait(false);
        if (dropConnections)
        {
            StopReceiving();
        }
    }

    private async ValueTask AnswerTaskManagementAsync(TargetSession session, bool immediate, uint itt, TaskManagementResponse response, bool dropConnections)
    {
        CompleteNonScsi(immediate);
        await SendWithStatSNAsync(ReadOnlyMemory<byte>.Empty, new TaskManagementResponsePdu
        {
            Response = response,
            InitiatorTaskTag = itt,
        }).ConfigureAwait(false);
        if (dropConnections)
        {
            // TARGET COLD RESET (SAM-5 §7.10): after the response, every connection of the target goes; this one
            // closes gracefully itself so the response is read first.
            _server.DropTargetConnections(session.Target, requester: this);
        }
    }

    /// <summary>Logout Request (RFC 7143 §11.14).</summary>
    private async ValueTask<bool> HandleLogoutAsync(PduFrame frame)
    {
        var pdu = LogoutRequestPdu.Parse(frame.Header);
        if (!AcceptCmdSN(pdu.CmdSN, pdu.Immediate))
        {
            return true;
        }
        var response = LogoutResponse.ClosedSuccessfully;
        TargetConnection? other = null;
        if (pdu.Reason == LogoutReason.RemoveConnectionForRecovery)
        {
            // ERL 0 has no connection recovery (§11.15.1).
            response = LogoutResponse.ConnectionRecoveryNotSupported;
        }
        else if (pdu.Reason == LogoutReason.CloseConnection && pdu.Cid != _cid)
        {
            // §11.14.1: "close the connection" may name another connection of the session (MC/S), which is dropped
            // from here; a CID the session does not have is "CID not found".
            other = Session?.FindConnection(pdu.Cid);
            response = other is null ? LogoutResponse.CidNotFound : response;
        }
        else if (pdu.Reason is not (LogoutReason.CloseSession or LogoutReason.CloseConnection))
        {
            await SendRejectAsync(RejectReason.InvalidPduField, frame.Header).ConfigureAwait(false);
            return true;
        }

        if (other is not null)
        {
            // At ERL 0 the tasks allegiant to that connection cannot move (§7.1.2): they end with it; the session and
            // this connection go on.
            other.Depart();
            await AnswerLogoutAsync(pdu.Immediate, pdu.InitiatorTaskTag, response).ConfigureAwait(false);
            return true;
        }
        bool closing = response == LogoutResponse.ClosedSuccessfully;
        if (closing && Session is { } session)
        {
            _loggingOut = true;
            // Closing the last connection closes the session (§11.14.1).
            bool wholeSession = pdu.Reason == LogoutReason.CloseSession || session.ConnectionCount <= 1;
            Departing = !wholeSession;
            // §11.14: commands still waiting for Data-Out will never get it, nor will commands held behind a CmdSN
            // hole see it fill; the rest finish first, and that wait happens beside the receive side, which stops
            // once the response is out. Logging out one connection touches only the commands that came on it.
            session.Abort(c => (c.WaitingForData || c.Held) && (wholeSession || ReferenceEquals(c.Connection, this)));
            RunBeside(AnswerLogoutWhenDrainedAsync(session, wholeSession, pdu.Immediate, pdu.InitiatorTaskTag));
            return true;
        }
        await AnswerLogoutAsync(pdu.Immediate, pdu.InitiatorTaskTag, response).ConfigureAwait(false);
        return !closing;
    }

    private async Task AnswerLogoutWhenDrainedAsync(TargetSession session, bool wholeSession, bool immediate, uint itt)
    {
        var response = LogoutResponse.ClosedSuccessfully;
        try
        {
            await (wholeSession ? session.WaitForDrainAsync() : session.WaitForDrainAsync(this)).WaitAsync(s_logoutDrainTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            response = LogoutResponse.CleanupFailed;
        }
        if (wholeSession)
        {
            // The I_T nexus loss (SAM-5 §6.3.4: RESERVE(6) released, I_T NEXUS LOSS OCCURRED) is done before the
            // response, so an initiator that reads "closed successfully" and goes on through another session never
            // meets what this nexus held. The session's other connections go with it (§11.14.1).
            _server.EndSession(session);
            session.CloseConnections(except: this);
        }
        else
        {
            session.RemoveConnection(this);
        }
        await AnswerLogoutAsync(immediate, itt, response).ConfigureAwait(false);
        StopReceiving();
    }

    private ValueTask AnswerLogoutAsync(bool immediate, uint itt, LogoutResponse response)
    {
        CompleteNonScsi(immediate);
        return SendWithStatSNAsync(ReadOnlyMemory<byte>.Empty, new LogoutResponsePdu
        {
            Response = response,
            InitiatorTaskTag = itt,
            Time2Wait = 0,
            Time2Retain = 0,
        });
    }

    /// <summary>
    /// Runs the end of a request beside the receive side (a wait for tasks to stop). It sends through the send lock
    /// like everything else; a failure is logged, never lost.
    /// </summary>
    private async void RunBeside(Task work)
    {
        try
        {
            await work.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogBesideFailed(_logger, RemoteName, e);
        }
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Error, Message = "Connection {Remote}: finishing a task management or logout request failed")]
    private static partial void LogBesideFailed(Microsoft.Extensions.Logging.ILogger logger, string remote, Exception exception);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Connection {Remote}: aborted tasks did not stop in time; answering the task management request anyway")]
    private static partial void LogAbortWaitTimeout(Microsoft.Extensions.Logging.ILogger logger, string remote);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Connection {Remote}: the peer read nothing for {Seconds} s while output waited, dropping it")]
    private static partial void LogOutputStalled(Microsoft.Extensions.Logging.ILogger logger, string remote, int seconds);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Connection {Remote}: no answer to NOP-In ping, dropping it")]
    private static partial void LogPingTimeout(Microsoft.Extensions.Logging.ILogger logger, string remote);
}
