using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using NetScsi.Iscsi.Pdus;
using NetScsi.Scsi;
using NetScsi.Transport;

namespace NetScsi.Iscsi.Initiator;

public sealed partial class IscsiSession
{
    /// <summary>
    /// The one receive loop of a connection: parses PDUs in place and handles each synchronously
    /// (placing Data-In, completing commands, queueing Data-Out and NOP answers for the sender).
    /// </summary>
    private async Task ReceiveLoopAsync(InitiatorConnection connection)
    {
        PipeReader input = connection.Input;
        Exception? error = null;
        try
        {
            int heldBatches = 0;
            while (true)
            {
                bool ready = input.TryRead(out ReadResult result);
                if (_submittedWhileReceiving && (!ready || ++heldBatches >= MaxHeldBatches))
                {
                    // Work queued while handling the last batches (commands submitted by inline continuations,
                    // Data-Out for R2Ts, NOP answers, a reopened window) goes out together, from this thread
                    // when nobody else is sending: no wake-up of the send loop. It waits while more responses
                    // are already readable (a few batches at most), so one send, and one wake-up of the
                    // target, carries several commands.
                    _submittedWhileReceiving = false;
                    heldBatches = 0;
                    SendFromReceiveLoop(connection);
                }

                if (!ready)
                {
                    bool polling = PollForLoneResponse(connection);
                    ValueTask<ReadResult> read = input.ReadAsync();
                    if (polling)
                    {
                        connection.LoneAnswerPoll.Note(found: read.IsCompleted);
                    }

                    result = await read.ConfigureAwait(false);
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                Volatile.Write(ref connection.LastReceiveTimestamp, _time.GetTimestamp());
                DirectDataIn direct = default;
                t_receiving = this;
                try
                {
                    while (true)
                    {
                        PduReadResult status = PduReader.TryRead(buffer, connection.MaxRecvDataSegmentLength, connection.HeaderDigest, connection.DataDigest, out PduFrame frame);
                        if (status == PduReadResult.Incomplete)
                        {
                            if (!result.IsCompleted && TryBeginDirectDataIn(connection, buffer, out direct))
                            {
                                buffer = buffer.Slice(buffer.End); // all placed; the rest comes from the socket
                            }

                            break;
                        }

                        if (status != PduReadResult.Complete)
                        {
                            // ERL 0 (RFC 7143 §7.1.4, §7.8): a digest error or an oversized segment is recovered
                            // by replacing the connection; the commands are re-issued.
                            throw new IscsiConnectionException("Bad PDU from the target: " + status + ".");
                        }

                        HandlePdu(connection, ref frame);
                        buffer = buffer.Slice(frame.WireLength);
                    }
                }
                finally
                {
                    t_receiving = null;
                    input.AdvanceTo(buffer.Start, buffer.End);
                }

                if (direct.Command is not null)
                {
                    await ReceiveDirectDataInAsync(connection, direct).ConfigureAwait(false);
                }

                if (result.IsCompleted || result.IsCanceled || connection.IsClosing)
                {
                    if (connection.IsClosing)
                    {
                        return;
                    }

                    throw new IscsiConnectionException("The target closed the connection.");
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException or ObjectDisposedException)
        {
            error = e;
        }

        if (!connection.IsClosing)
        {
            OnConnectionFailed(connection, error ?? new IscsiConnectionException("The connection ended."));
        }
    }

    /// <summary>
    /// Before the receive loop waits for input: when exactly one command is out and nothing else queued, its
    /// answer is the only thing to wait for, and from a target on the same host or a fast LAN it comes within
    /// microseconds, sooner than a sleeping thread wakes. The next read then polls the connection for a
    /// little while first (<see cref="IscsiSessionOptions.ReceivePollTime"/>). With more commands out,
    /// answers arrive in batches and one wake-up serves many, so it does not poll.
    /// </summary>
    /// <returns>True when the next read polls.</returns>
    private bool PollForLoneResponse(InitiatorConnection connection)
    {
        // The counts are read without the lock: a stale one costs one poll too many or too few, nothing more.
        if (connection.Poller is null || _options.ReceivePollTime <= TimeSpan.Zero || _active.Count != 1 || _pending.Count != 0
            || !connection.LoneAnswerPoll.ShouldPoll())
        {
            return false;
        }

        connection.Poller.PollNextRead(_options.ReceivePollTime);
        return true;
    }

    /// <summary>The session whose receive loop runs on this thread right now (between reads), else null.</summary>
    [ThreadStatic]
    private static IscsiSession? t_receiving;

    /// <summary>Most receive batches the loop handles while holding work it queued, when responses keep arriving.</summary>
    private const int MaxHeldBatches = 4;

    /// <summary>Work was queued from this session's receive loop; the loop sends it before it would wait for more input.</summary>
    private bool _submittedWhileReceiving;

    /// <summary>
    /// New work is queued: on the receive loop's thread, note it for the end of the batch; elsewhere, wake
    /// the send loop.
    /// </summary>
    private void WakeSender(InitiatorConnection? connection)
    {
        if (t_receiving == this)
        {
            _submittedWhileReceiving = true;
        }
        else
        {
            connection?.SendSignal.Set();
        }
    }

    private void HandlePdu(InitiatorConnection connection, ref PduFrame frame)
    {
        ReadOnlySpan<byte> bhs = frame.Header;
        switch (frame.Opcode)
        {
            case IscsiOpcode.DataIn:
                HandleDataIn(connection, bhs, frame.Data);
                break;
            case IscsiOpcode.ScsiResponse:
                HandleScsiResponse(connection, bhs, frame.Data);
                break;
            case IscsiOpcode.ReadyToTransfer:
                HandleR2T(bhs);
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
                WakeSender(_connection);
            }
        }
    }

    private InitiatorCommand? FindScsiLocked(uint itt)
    {
        return _active.TryGetValue(itt, out InitiatorCommand? command) && command.Kind == CommandKind.Scsi ? command : null;
    }

    /// <summary>SCSI Data-In (RFC 7143 §11.7): placed by Buffer Offset; status may ride on the last one.</summary>
    private void HandleDataIn(InitiatorConnection connection, ReadOnlySpan<byte> bhs, in ReadOnlySequence<byte> data)
    {
        var pdu = DataInPdu.Parse(bhs);
        InitiatorCommand? command = AcceptDataIn(connection, pdu);
        if (command is null)
        {
            return; // a task we no longer track (aborted, or from before a re-issue)
        }

        data.CopyTo(command.DataIn.Span.Slice((int)pdu.BufferOffset, pdu.DataSegmentLength));
        FinishDataIn(command, pdu);
    }

    /// <summary>
    /// The header fields of a Data-In (window, StatSN) and the command it is for, null if we no longer track it.
    /// Only this loop writes into a command's buffer, and only while the command is in the ITT table:
    /// commands leave it on this loop (responses) or after the loops have stopped (recovery, close).
    /// </summary>
    private InitiatorCommand? AcceptDataIn(InitiatorConnection connection, in DataInPdu pdu)
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
    private void FinishDataIn(InitiatorCommand command, in DataInPdu pdu)
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

    /// <summary>Data-In segments from this size up are received straight into the command's buffer when the mover can.</summary>
    private const int DirectDataInMinimum = 16 * 1024;

    /// <summary>A Data-In whose header and first bytes were in the pipe and whose remaining data comes straight from the socket.</summary>
    private struct DirectDataIn
    {
        public InitiatorCommand? Command;
        public DataInPdu Pdu;
        public int Received;
    }

    /// <summary>
    /// For an incomplete large Data-In (no data digest) of a command we track: takes its header, copies the data
    /// already buffered into the command's buffer and says the rest can be received directly, which saves
    /// copying the bulk of a read out of the pipe. Anything unusual is left to the normal path.
    /// </summary>
    private bool TryBeginDirectDataIn(InitiatorConnection connection, in ReadOnlySequence<byte> buffer, out DirectDataIn direct)
    {
        direct = default;
        int headerLength = Bhs.Length + (connection.HeaderDigest ? Digests.Crc32C.DigestLength : 0);
        if (connection.DirectReceiver is null || connection.DataDigest || buffer.Length < headerLength)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[Bhs.Length + Digests.Crc32C.DigestLength];
        buffer.Slice(0, headerLength).CopyTo(header);
        int dataLength = Bhs.GetDataSegmentLength(header);
        long available = buffer.Length - headerLength;
        if (Bhs.GetOpcode(header) != IscsiOpcode.DataIn || Bhs.GetTotalAhsLength(header) != 0
            || dataLength < DirectDataInMinimum || dataLength > connection.MaxRecvDataSegmentLength
            || dataLength % 4 != 0 || available >= dataLength)
        {
            return false;
        }

        if (connection.HeaderDigest
            && Digests.Crc32C.Compute(header[..Bhs.Length]) != Digests.Crc32C.Read(header[Bhs.Length..]))
        {
            return false; // the normal path reports the digest error
        }

        var pdu = DataInPdu.Parse(header);
        lock (_lock)
        {
            InitiatorCommand? tracked = FindScsiLocked(pdu.InitiatorTaskTag);
            if (tracked is null || (long)pdu.BufferOffset + dataLength > tracked.DataInLength)
            {
                return false;
            }
        }

        InitiatorCommand command = AcceptDataIn(connection, pdu)!;
        buffer.Slice(headerLength).CopyTo(command.DataIn.Span.Slice((int)pdu.BufferOffset, (int)available));
        direct = new DirectDataIn { Command = command, Pdu = pdu, Received = (int)available };
        return true;
    }

    /// <summary>Receives the rest of a direct Data-In into the command's buffer, then finishes it like any other.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReceiveDirectDataInAsync(InitiatorConnection connection, DirectDataIn direct)
    {
        InitiatorCommand command = direct.Command!;
        Memory<byte> rest = command.DataIn.Slice((int)direct.Pdu.BufferOffset + direct.Received, direct.Pdu.DataSegmentLength - direct.Received);
        IDirectReceiver receiver = connection.DirectReceiver!;
        while (!rest.IsEmpty)
        {
            // The rest of a PDU whose start has come is on its way: a target that sends header and data in
            // separate writes (tgt) leaves a gap of microseconds, shorter than a sleep and a wake-up.
            bool polling = _options.ReceivePollTime > TimeSpan.Zero && connection.DataInPoll.ShouldPoll();
            if (polling)
            {
                receiver.PollNextDirectReceive(_options.ReceivePollTime);
            }

            ValueTask<int> receive = receiver.ReceiveDirectAsync(rest, connection.Closing);
            if (polling)
            {
                connection.DataInPoll.Note(found: receive.IsCompleted);
            }

            int n = await receive.ConfigureAwait(false);
            if (n == 0)
            {
                throw new IscsiConnectionException("The target closed the connection.");
            }

            rest = rest[n..];
            Volatile.Write(ref connection.LastReceiveTimestamp, _time.GetTimestamp());
        }

        t_receiving = this;
        try
        {
            FinishDataIn(command, direct.Pdu);
        }
        finally
        {
            t_receiving = null;
        }

        // Large reads come in runs: the next PDU is most likely another large Data-In, so read only its header
        // and let its data, too, go straight into its command's buffer instead of being copied out of the pipe.
        receiver.LimitNextPipeRead(Bhs.Length + (connection.HeaderDigest ? Digests.Crc32C.DigestLength : 0));
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

    /// <summary>R2T (RFC 7143 §11.8): queue one Data-Out sequence for the sender.</summary>
    private void HandleR2T(ReadOnlySpan<byte> bhs)
    {
        var pdu = ReadyToTransferPdu.Parse(bhs);
        lock (_lock)
        {
            UpdateWindowLocked(pdu.ExpCmdSN, pdu.MaxCmdSN);
            InitiatorCommand? command = FindScsiLocked(pdu.InitiatorTaskTag);
            if (command is null)
            {
                return;
            }

            long end = (long)pdu.BufferOffset + pdu.DesiredDataTransferLength;
            if (pdu.DesiredDataTransferLength == 0 || end > command.DataOut.Length || pdu.TargetTransferTag == Bhs.ReservedTag)
            {
                throw new IscsiConnectionException($"R2T for offset {pdu.BufferOffset} length {pdu.DesiredDataTransferLength} does not fit the write of {command.DataOut.Length} bytes.");
            }

            _dataOut.Enqueue(new DataOutWork
            {
                Command = command,
                IssueId = command.IssueId,
                TargetTransferTag = pdu.TargetTransferTag,
                Offset = (int)pdu.BufferOffset,
                Length = (int)pdu.DesiredDataTransferLength,
            });
            WakeSender(_connection);
        }
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
                _nopReplies.Enqueue(pdu.TargetTransferTag);
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
        lock (_lock)
        {
            if (_active.TryGetValue(itt, out InitiatorCommand? found) && opcode is IscsiOpcode.ScsiCommand or IscsiOpcode.TaskManagementRequest or IscsiOpcode.LogoutRequest)
            {
                _active.Remove(itt);
                found.State = CommandState.Done;
                command = found;
            }
        }

        if (command is not null)
        {
            Complete(command, default, new IscsiProtocolException($"The target rejected the {opcode} PDU: {pdu.Reason}."));
        }
    }

    /// <summary>Asynchronous Message (RFC 7143 §11.9): a target that wants us gone is served by reconnecting.</summary>
    private void HandleAsyncMessage(InitiatorConnection connection, ReadOnlySpan<byte> bhs)
    {
        var pdu = AsyncMessagePdu.Parse(bhs);
        AdvanceStatSN(connection, pdu.StatSN);
        lock (_lock)
        {
            UpdateWindowLocked(pdu.ExpCmdSN, pdu.MaxCmdSN);
        }

        LogAsyncEvent(_logger, pdu.Event.ToString());
        if (pdu.Event is AsyncEvent.RequestLogout or AsyncEvent.DroppingConnection or AsyncEvent.DroppingAllConnections)
        {
            throw new IscsiConnectionException($"The target announced {pdu.Event}; the session will be re-established.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The target rejected a PDU ({Reason}): {Opcode} ITT 0x{Itt:x8}")]
    private static partial void LogRejected(ILogger logger, string reason, string opcode, uint itt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Asynchronous message from the target: {Event}")]
    private static partial void LogAsyncEvent(ILogger logger, string @event);
}
