using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using NetScsi.Iscsi.Pdus;
using NetScsi.Scsi;

namespace NetScsi.Iscsi.Initiator;

public sealed partial class IscsiSession
{
    /// <summary>
    /// The mover's receive side of a connection ended (or failed): at ERL 0 the session recovers by replacing the
    /// connection (RFC 7143 §6.3.5), unless we were closing it anyway.
    /// </summary>
    internal void OnReceiveEnded(InitiatorConnection connection, Exception error)
    {
        if (!connection.IsClosing)
        {
            OnConnectionFailed(connection, error);
        }
    }

    /// <summary>
    /// Before the mover looks for more input: work queued while handling the last batches (commands submitted by
    /// inline continuations, Data-Out for R2Ts, NOP answers, a reopened window) goes out together, from the receive
    /// loop's own thread when nobody else is sending: no wake-up of the send loop. It waits while more responses are
    /// already readable (a few batches at most), so one send, and one wake-up of the target, carries several commands.
    /// </summary>
    internal void OnReceiveIdle(InitiatorConnection connection, bool moreReady)
    {
        if (connection.SubmittedWhileReceiving && (!moreReady || ++connection.HeldBatches >= MaxHeldBatches))
        {
            connection.SubmittedWhileReceiving = false;
            connection.HeldBatches = 0;
            SendFromReceiveLoop(connection);
        }
    }

    internal void OnReceiveBatchStart(InitiatorConnection connection)
    {
        t_receiving = this;
        t_receivingConnection = connection;
    }

    internal void OnReceiveBatchEnd()
    {
        t_receiving = null;
        t_receivingConnection = null;
    }

    /// <summary>
    /// When exactly one command is out and nothing else queued, its answer is the only thing to wait for, and from a
    /// target on the same host or a fast LAN it comes within microseconds, sooner than a sleeping thread wakes: a mover
    /// that can poll does before it sleeps. With more commands out, answers arrive in batches and one wake-up serves
    /// many. The counts are read without the lock: a stale one costs one poll too many or too few, nothing more.
    /// </summary>
    /// <remarks>With several connections, the one command must also be on <paramref name="connection"/>.</remarks>
    internal bool ExpectsLoneAnswer(InitiatorConnection connection) =>
        _active.Count == 1 && _pending.Count == 0 && (_connections.Length == 1 || connection.Outstanding == 1);

    /// <summary>The session whose receive loop runs on this thread right now (between reads), else null.</summary>
    [ThreadStatic]
    private static IscsiSession? t_receiving;

    /// <summary>The connection of that receive loop.</summary>
    [ThreadStatic]
    private static InitiatorConnection? t_receivingConnection;

    /// <summary>Most receive batches the loop handles while holding work it queued, when responses keep arriving.</summary>
    private const int MaxHeldBatches = 4;

    /// <summary>
    /// New work is queued: on the receive loop's thread, note it for the end of the batch; elsewhere, wake
    /// the send loop.
    /// </summary>
    internal void WakeSender(InitiatorConnection? connection)
    {
        if (t_receiving == this)
        {
            // That loop's connection sends it (or, with several connections, hands it to the least loaded one).
            t_receivingConnection!.SubmittedWhileReceiving = true;
        }
        else
        {
            connection?.SendSignal.Set();
        }
    }

    /// <summary>RFC 5047 Control_Notify in full feature phase: every PDU but Data-In and R2T, which the mover handles.</summary>
    internal void HandlePdu(InitiatorConnection connection, in PduFrame frame)
    {
        ReadOnlySpan<byte> bhs = frame.Header;
        switch (frame.Opcode)
        {
            case IscsiOpcode.ScsiResponse:
                HandleScsiResponse(connection, bhs, frame.Data);
                break;
            case IscsiOpcode.NopIn:
                HandleNopIn(connection, bhs);
                break;
            case IscsiOpcode.TaskManagementResponse:
                HandleTaskManagementResponse(connection, bhs);
                break;
            case IscsiOpcode.LogoutResponse:
                HandleLogoutResponse(connection, bhs);
                break;
            case IscsiOpcode.Reject:
                HandleReject(connection, bhs, frame.Data);
                break;
            case IscsiOpcode.AsyncMessage:
                HandleAsyncMessage(connection, bhs);
                break;
            case IscsiOpcode.TextResponse:
                var text = TextResponsePdu.Parse(bhs);
                AdvanceStatSN(connection, text.StatSN);
                lock (_lock)
                {
                    UpdateWindowLocked(text.ExpCmdSN, text.MaxCmdSN);
                }

                break;
            default:
                throw new IscsiConnectionException($"Unexpected PDU from the target: {frame.Opcode}.");
        }
    }

    /// <summary>RFC 7143 §4.2.2.2: ExpStatSN acknowledges every status up to StatSN.</summary>
    private static void AdvanceStatSN(InitiatorConnection connection, uint statSN)
    {
        uint next = statSN + 1;
        if (SerialNumber.LessThan(Volatile.Read(ref connection.ExpStatSN), next))
        {
            Volatile.Write(ref connection.ExpStatSN, next);
        }
    }

    /// <summary>
    /// RFC 7143 §4.2.2.1: ExpCmdSN and MaxCmdSN only move forward; a MaxCmdSN below ExpCmdSN − 1 is
    /// invalid and ignored. Wakes the sender when the window opened for queued commands.
    /// </summary>
    private void UpdateWindowLocked(uint expCmdSN, uint maxCmdSN)
    {
        if (SerialNumber.LessThan(maxCmdSN, expCmdSN - 1))
        {
            return;
        }

        if (SerialNumber.LessThan(_expCmdSN, expCmdSN))
        {
            _expCmdSN = expCmdSN;
        }

        if (SerialNumber.LessThan(_maxCmdSN, maxCmdSN))
        {
            bool wasClosed = SerialNumber.LessThan(_maxCmdSN, _cmdSN);
            _maxCmdSN = maxCmdSN;
            if (wasClosed && _pending.Count > 0)
            {
                WakeSender(_connections.Length == 1 ? _connection : LeastLoadedLocked());
            }
        }
    }

    private InitiatorCommand? FindScsiLocked(uint itt)
    {
        return _active.TryGetValue(itt, out InitiatorCommand? command) && command.Kind == CommandKind.Scsi ? command : null;
    }

    /// <summary>
    /// The command's PDUs must arrive on the connection it was issued on (connection allegiance, RFC 7143 §7); one that
    /// comes on another is a protocol error, recovered at ERL 0 by re-opening the session. Also keeps each command's
    /// buffer written by one receive loop only.
    /// </summary>
    private static void CheckAllegiance(InitiatorCommand command, InitiatorConnection connection, string what)
    {
        if (command.Connection != connection)
        {
            throw new IscsiConnectionException($"The target sent a {what} for ITT 0x{command.Itt:x8} on connection CID {connection.Cid}, not on CID {command.Connection?.Cid} where the command was issued (RFC 7143 §7).");
        }
    }

    /// <summary>
    /// The header fields of a Data-In (window, StatSN) and the command it is for, null if we no longer track it.
    /// Only this loop writes into a command's buffer, and only while the command is in the ITT table:
    /// commands leave it on this loop (responses) or after the loops have stopped (recovery, close).
    /// </summary>
    internal InitiatorCommand? AcceptDataIn(InitiatorConnection connection, in DataInPdu pdu)
    {
        InitiatorCommand? command;
        lock (_lock)
        {
            UpdateWindowLocked(pdu.ExpCmdSN, pdu.MaxCmdSN);
            command = FindScsiLocked(pdu.InitiatorTaskTag);
        }

        if (pdu.HasStatus)
        {
            AdvanceStatSN(connection, pdu.StatSN);
        }

        if (command is null)
        {
            return null;
        }

        CheckAllegiance(command, connection, "Data-In");
        if ((long)pdu.BufferOffset + pdu.DataSegmentLength > command.DataInLength)
        {
            throw new IscsiConnectionException($"Data-In at offset {pdu.BufferOffset} length {pdu.DataSegmentLength} exceeds the expected length {command.DataInLength}.");
        }

        if (pdu.DataSegmentLength > 0)
        {
            command.RentDataInIfPooled();
        }

        return command;
    }

    /// <summary>After a Data-In's data is in place: how much arrived, and the status if it rides along.</summary>
    internal void FinishDataIn(InitiatorCommand command, in DataInPdu pdu)
    {
        int end = (int)pdu.BufferOffset + pdu.DataSegmentLength;
        if (end > command.DataInReceived)
        {
            command.DataInReceived = end;
        }

        if (!pdu.HasStatus)
        {
            return;
        }

        var result = new ScsiResult(0, (ScsiStatus)pdu.Status, ReadOnlyMemory<byte>.Empty, command.DataInReceived, pdu.ResidualOverflow, pdu.ResidualUnderflow, pdu.ResidualCount);
        if (TryFinish(command, pdu.InitiatorTaskTag))
        {
            Complete(command, result, null);
        }
    }

    /// <summary>Removes a command answered by the target from the ITT table; false if it is not there any more.</summary>
    private bool TryFinish(InitiatorCommand command, uint itt)
    {
        lock (_lock)
        {
            if (command.State != CommandState.Active || command.Itt != itt || !_active.Remove(itt))
            {
                return false;
            }

            ReleaseConnectionLocked(command);
            command.State = CommandState.Done;
            return true;
        }
    }

    /// <summary>SCSI Response (RFC 7143 §11.4): status, sense (SenseLength + data) and residuals.</summary>
    private void HandleScsiResponse(InitiatorConnection connection, ReadOnlySpan<byte> bhs, in ReadOnlySequence<byte> data)
    {
        var pdu = ScsiResponsePdu.Parse(bhs);
        AdvanceStatSN(connection, pdu.StatSN);
        InitiatorCommand? command;
        lock (_lock)
        {
            UpdateWindowLocked(pdu.ExpCmdSN, pdu.MaxCmdSN);
            command = FindScsiLocked(pdu.InitiatorTaskTag);
        }

        if (command is null)
        {
            return;
        }

        CheckAllegiance(command, connection, "SCSI Response");
        ReadOnlyMemory<byte> sense = ReadOnlyMemory<byte>.Empty;
        if (data.Length >= 2)
        {
            Span<byte> lengthBytes = stackalloc byte[2];
            data.Slice(0, 2).CopyTo(lengthBytes);
            int senseLength = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(lengthBytes), (int)data.Length - 2);
            if (senseLength > 0)
            {
                sense = data.Slice(2, senseLength).ToArray();
            }
        }

        var result = new ScsiResult(pdu.Response, (ScsiStatus)pdu.Status, sense, command.DataInReceived, pdu.ResidualOverflow, pdu.ResidualUnderflow, pdu.ResidualCount);
        if (TryFinish(command, pdu.InitiatorTaskTag))
        {
            Complete(command, result, null);
        }
    }

    /// <summary>R2T (RFC 7143 §11.8): the window it carries, and the command it asks data of (the mover queues the data).</summary>
    internal InitiatorCommand? AcceptR2T(InitiatorConnection connection, in ReadyToTransferPdu pdu)
    {
        InitiatorCommand? command;
        lock (_lock)
        {
            UpdateWindowLocked(pdu.ExpCmdSN, pdu.MaxCmdSN);
            command = FindScsiLocked(pdu.InitiatorTaskTag);
        }

        // The Data-Out it asks for goes on this connection's mover: the command's own (§7).
        if (command is not null)
        {
            CheckAllegiance(command, connection, "R2T");
        }

        return command;
    }

    /// <summary>NOP-In (RFC 7143 §11.19): the answer to our ping, or a ping of the target's to answer.</summary>
    private void HandleNopIn(InitiatorConnection connection, ReadOnlySpan<byte> bhs)
    {
        var pdu = NopInPdu.Parse(bhs);
        if (pdu.InitiatorTaskTag != Bhs.ReservedTag)
        {
            AdvanceStatSN(connection, pdu.StatSN);
        }

        lock (_lock)
        {
            UpdateWindowLocked(pdu.ExpCmdSN, pdu.MaxCmdSN);
            if (pdu.InitiatorTaskTag != Bhs.ReservedTag && pdu.InitiatorTaskTag == connection.PingItt)
            {
                connection.PingItt = Bhs.ReservedTag;
            }

            if (pdu.TargetTransferTag != Bhs.ReservedTag)
            {
                // RFC 7143 §11.18: the answer goes on the connection the ping came on.
                connection.NopReplies.Enqueue(pdu.TargetTransferTag);
                WakeSender(connection);
            }
        }
    }

    private void HandleLogoutResponse(InitiatorConnection connection, ReadOnlySpan<byte> bhs)
    {
        var pdu = LogoutResponsePdu.Parse(bhs);
        AdvanceStatSN(connection, pdu.StatSN);
        InitiatorCommand? command = null;
        lock (_lock)
        {
            UpdateWindowLocked(pdu.ExpCmdSN, pdu.MaxCmdSN);
            if (_active.TryGetValue(pdu.InitiatorTaskTag, out InitiatorCommand? found) && found.Kind == CommandKind.Logout)
            {
                _active.Remove(pdu.InitiatorTaskTag);
                found.State = CommandState.Done;
                command = found;
                if (pdu.Response == LogoutResponse.ClosedSuccessfully)
                {
                    // The target closes the connection next: that is not a failure.
                    connection.BeginClose();
                }
            }
        }

        if (command is not null)
        {
            Complete(command, new ScsiResult((byte)pdu.Response, ScsiStatus.Good, ReadOnlyMemory<byte>.Empty, 0, false, false, 0), null);
        }
    }

    /// <summary>Reject (RFC 7143 §11.17): the data segment holds the rejected header; its command fails.</summary>
    private void HandleReject(InitiatorConnection connection, ReadOnlySpan<byte> bhs, in ReadOnlySequence<byte> data)
    {
        var pdu = RejectPdu.Parse(bhs);
        AdvanceStatSN(connection, pdu.StatSN);
        lock (_lock)
        {
            UpdateWindowLocked(pdu.ExpCmdSN, pdu.MaxCmdSN);
        }

        if (data.Length < Bhs.Length)
        {
            throw new IscsiConnectionException("The target sent a Reject without the rejected header.");
        }

        Span<byte> rejected = stackalloc byte[Bhs.Length];
        data.Slice(0, Bhs.Length).CopyTo(rejected);
        IscsiOpcode opcode = Bhs.GetOpcode(rejected);
        uint itt = Bhs.GetInitiatorTaskTag(rejected);
        LogRejected(_logger, pdu.Reason.ToString(), opcode.ToString(), itt);
        if (opcode is IscsiOpcode.DataOut || pdu.Reason == RejectReason.DataDigestError)
        {
            // The target gave up on the data of a task: at ERL 0 that is a connection-level failure.
            throw new IscsiConnectionException($"The target rejected a Data-Out ({pdu.Reason}).");
        }

        InitiatorCommand? command = null;
        bool reissue = false;
        lock (_lock)
        {
            if (_active.TryGetValue(itt, out InitiatorCommand? found) && opcode is IscsiOpcode.ScsiCommand or IscsiOpcode.TaskManagementRequest or IscsiOpcode.LogoutRequest)
            {
                _active.Remove(itt);
                ReleaseConnectionLocked(found);
                // §11.9.1: a command that crossed the target's logout request ("waiting for logout") did not run; it
                // goes again, with a new ITT and CmdSN, on the session re-opened after the logout.
                reissue = pdu.Reason == RejectReason.WaitingForLogout && opcode is IscsiOpcode.ScsiCommand && connection.LogoutRequested;
                found.State = reissue ? CommandState.Detached : CommandState.Done;
                command = found;
            }
        }

        if (reissue)
        {
            Requeue([command!]);
        }
        else if (command is not null)
        {
            Complete(command, default, new IscsiProtocolException($"The target rejected the {opcode} PDU: {pdu.Reason}."));
        }
    }

    /// <summary>
    /// Asynchronous Message (RFC 7143 §11.9.1). AsyncEvent 1: we log out at once (within Parameter3 seconds) and
    /// re-open the session after DefaultTime2Wait. AsyncEvent 2/3: the target is dropping the connection; we drop it
    /// first and reconnect after its Time2Wait (Parameter2). Commands the target did not answer are re-issued.
    /// </summary>
    private void HandleAsyncMessage(InitiatorConnection connection, ReadOnlySpan<byte> bhs)
    {
        var pdu = AsyncMessagePdu.Parse(bhs);
        AdvanceStatSN(connection, pdu.StatSN);
        lock (_lock)
        {
            UpdateWindowLocked(pdu.ExpCmdSN, pdu.MaxCmdSN);
        }

        LogAsyncEvent(_logger, pdu.Event.ToString());
        switch (pdu.Event)
        {
            case AsyncEvent.RequestLogout:
                LogOutOnRequest(connection, TimeSpan.FromSeconds(Math.Max((int)pdu.Parameter3, 1)));
                break;
            case AsyncEvent.DroppingConnection or AsyncEvent.DroppingAllConnections:
                lock (_lock)
                {
                    _reconnectDelay = TimeSpan.FromSeconds(pdu.Parameter2);
                }
                throw new IscsiConnectionException($"The target announced {pdu.Event} (Time2Wait {pdu.Parameter2} s); the session will be re-established.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The target rejected a PDU ({Reason}): {Opcode} ITT 0x{Itt:x8}")]
    private static partial void LogRejected(ILogger logger, string reason, string opcode, uint itt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Asynchronous message from the target: {Event}")]
    private static partial void LogAsyncEvent(ILogger logger, string @event);
}
