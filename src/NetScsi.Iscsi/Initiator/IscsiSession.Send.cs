using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using NetScsi.Iscsi.Pdus;

namespace NetScsi.Iscsi.Initiator;

public sealed partial class IscsiSession
{
    /// <summary>Flush at least this often while writing a large burst, so it does not pile up in the pipe.</summary>
    private const int FlushThreshold = 256 * 1024;

    private enum WorkKind
    {
        None,
        NopReply,
        Ping,
        Command,
        Control,
        DataOut,
        Canceled,
    }

    /// <summary>What the sender writes next, copied out under the lock.</summary>
    private struct SendWork
    {
        public WorkKind Kind;
        public InitiatorCommand? Command;
        public uint Itt;
        public uint CmdSN;
        public uint TargetTransferTag;
        public ulong LunField;
        public Cdb16 Cdb;
        public ReadOnlyMemory<byte> DataOut;
        public int DataInLength;
        public int Offset;
        public int Length;
        public CommandKind ControlKind;
        public TaskManagementFunction Function;
        public uint ReferencedTag;
        public uint RefCmdSN;
    }

    /// <summary>
    /// The one sender of a connection: takes work in priority order (NOP answers, pings, immediate
    /// requests, Data-Out, then new commands while the CmdSN window allows), writes header and data
    /// into the pipe, and flushes once per batch.
    /// </summary>
    private async Task SendLoopAsync(InitiatorConnection connection)
    {
        PipeWriter output = connection.Output;
        try
        {
            while (true)
            {
                await connection.SendSignal.WaitAsync().ConfigureAwait(false);
                if (connection.IsClosing)
                {
                    return;
                }

                Task<FlushResult>? handedOver = Interlocked.Exchange(ref connection.HandedOverFlush, null);
                if (handedOver is not null)
                {
                    // The receive loop left us a flush to finish, and the send side with it.
                    FlushResult flushed = await handedOver.ConfigureAwait(false);
                    if (flushed.IsCanceled || flushed.IsCompleted)
                    {
                        return;
                    }
                }
                else if (Interlocked.CompareExchange(ref connection.Sending, 1, 0) != 0)
                {
                    continue; // the receive loop is sending inline; it wakes us if it leaves work behind
                }

                try
                {
                    int unflushed = 0;
                    bool wrote = false;
                    while (TryTakeWork(connection, out SendWork work))
                    {
                        if (work.Kind == WorkKind.Canceled)
                        {
                            Complete(work.Command!, default, new OperationCanceledException(work.Command!.CancellationToken));
                            continue;
                        }

                        unflushed += Write(connection, ref work);
                        wrote = true;
                        if (unflushed >= FlushThreshold)
                        {
                            unflushed = 0;
                            FlushResult flushed = await output.FlushAsync().ConfigureAwait(false);
                            if (flushed.IsCanceled || flushed.IsCompleted)
                            {
                                return;
                            }
                        }
                    }

                    if (wrote)
                    {
                        FlushResult flushed = await output.FlushAsync().ConfigureAwait(false);
                        if (flushed.IsCanceled || flushed.IsCompleted)
                        {
                            return;
                        }
                    }
                }
                finally
                {
                    EndSending(connection);
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException or ObjectDisposedException)
        {
            if (!connection.IsClosing)
            {
                OnConnectionFailed(connection, e);
            }
        }
    }

    /// <summary>
    /// The receive loop's end of batch: writes and flushes the queued work on this thread when no one else
    /// is sending, which saves waking the send loop for every batch of completions. A flush that would wait
    /// (the socket is full) is handed to the send loop, so the receive loop never stops reading.
    /// </summary>
    private void SendFromReceiveLoop(InitiatorConnection connection)
    {
        if (Interlocked.CompareExchange(ref connection.Sending, 1, 0) != 0)
        {
            connection.SendSignal.Set(); // the send loop is busy and takes this work too (or EndSending re-signals)
            return;
        }

        int unflushed = 0;
        while (TryTakeWork(connection, out SendWork work))
        {
            if (work.Kind == WorkKind.Canceled)
            {
                Complete(work.Command!, default, new OperationCanceledException(work.Command!.CancellationToken));
                continue;
            }

            unflushed += Write(connection, ref work) + Bhs.Length;
            if (unflushed >= FlushThreshold && !TryFlushInline(connection))
            {
                return;
            }
        }

        if (unflushed > 0 && !TryFlushInline(connection))
        {
            return;
        }

        EndSending(connection);
    }

    /// <summary>Flushes if that completes without waiting; otherwise hands the flush, and the send side, to the send loop.</summary>
    private static bool TryFlushInline(InitiatorConnection connection)
    {
        ValueTask<FlushResult> flush = connection.Output.FlushAsync();
        if (flush.IsCompletedSuccessfully)
        {
            // A completed or cancelled result means the connection is closing; its loops notice on their own.
            _ = flush.Result;
            return true;
        }

        Volatile.Write(ref connection.HandedOverFlush, flush.AsTask());
        connection.SendSignal.Set();
        return false;
    }

    /// <summary>Gives up the send side; if work arrived after the last look, the send loop takes it.</summary>
    private void EndSending(InitiatorConnection connection)
    {
        Volatile.Write(ref connection.Sending, 0);
        bool more;
        lock (_lock)
        {
            more = connection == _connection && !connection.IsClosing
                && (_nopReplies.Count > 0 || connection.PingRequested || _immediate.Count > 0 || _dataOut.Count > 0
                    || (_pending.Count > 0 && SerialNumber.LessOrEqual(_cmdSN, _maxCmdSN)));
        }

        if (more)
        {
            connection.SendSignal.Set();
        }
    }

    private bool TryTakeWork(InitiatorConnection connection, out SendWork work)
    {
        work = default;
        lock (_lock)
        {
            if (connection != _connection || connection.IsClosing || _state is not (IscsiSessionState.Running or IscsiSessionState.Closing))
            {
                return false;
            }

            if (_nopReplies.Count > 0)
            {
                work.Kind = WorkKind.NopReply;
                work.TargetTransferTag = _nopReplies.Dequeue();
                work.CmdSN = _cmdSN;
                return true;
            }

            if (connection.PingRequested)
            {
                connection.PingRequested = false;
                work.Kind = WorkKind.Ping;
                work.Itt = connection.PingItt;
                work.CmdSN = _cmdSN;
                return true;
            }

            if (_immediate.Count > 0)
            {
                // Task management and logout go as immediate commands: they carry CmdSN without
                // advancing it and are not held back by the window (RFC 7143 §4.2.2.1).
                InitiatorCommand control = _immediate.Dequeue();
                control.State = CommandState.Active;
                control.CmdSN = _cmdSN;
                control.IssueId = ++_nextIssueId;
                _active[control.Itt] = control;
                work.Kind = WorkKind.Control;
                work.Command = control;
                work.ControlKind = control.Kind;
                work.Itt = control.Itt;
                work.CmdSN = _cmdSN;
                work.LunField = control.LunField;
                work.Function = control.Function;
                work.ReferencedTag = control.ReferencedTag;
                work.RefCmdSN = control.RefCmdSN;
                return true;
            }

            while (_dataOut.Count > 0)
            {
                DataOutWork data = _dataOut.Dequeue();
                InitiatorCommand target = data.Command;
                if (target.State != CommandState.Active || target.IssueId != data.IssueId)
                {
                    continue; // finished, aborted or re-issued meanwhile
                }

                work.Kind = WorkKind.DataOut;
                work.Command = target;
                work.Itt = target.Itt;
                work.LunField = target.LunField;
                work.DataOut = target.DataOut;
                work.TargetTransferTag = data.TargetTransferTag;
                work.Offset = data.Offset;
                work.Length = data.Length;
                return true;
            }

            // RFC 7143 §4.2.2.1: never send a CmdSN beyond MaxCmdSN.
            while (_pending.Count > 0 && SerialNumber.LessOrEqual(_cmdSN, _maxCmdSN))
            {
                InitiatorCommand command = _pending.Dequeue();
                if (command.State != CommandState.Pending)
                {
                    continue;
                }

                if (command.CancellationToken.IsCancellationRequested)
                {
                    command.State = CommandState.Done;
                    work.Kind = WorkKind.Canceled;
                    work.Command = command;
                    return true;
                }

                command.Itt = AllocateIttLocked();
                command.CmdSN = _cmdSN++;
                command.IssueId = ++_nextIssueId;
                command.State = CommandState.Active;
                command.DataInReceived = 0;
                command.Escalating = false;
                command.SentTimestamp = _time.GetTimestamp();
                _active[command.Itt] = command;
                work.Kind = WorkKind.Command;
                work.Command = command;
                work.Itt = command.Itt;
                work.CmdSN = command.CmdSN;
                work.LunField = command.LunField;
                work.Cdb = command.Cdb;
                work.DataOut = command.DataOut;
                work.DataInLength = command.DataInLength;
                return true;
            }

            return false;
        }
    }

    /// <summary>Writes one work item into the pipe; returns the data bytes written.</summary>
    private int Write(InitiatorConnection connection, ref SendWork work)
    {
        PipeWriter output = connection.Output;
        Span<byte> header = stackalloc byte[Bhs.Length];
        uint expStatSN = Volatile.Read(ref connection.ExpStatSN);
        switch (work.Kind)
        {
            case WorkKind.NopReply:
                // RFC 7143 §11.18: the answer to a target's ping echoes its TTT with ITT 0xffffffff; immediate.
                new NopOutPdu
                {
                    Immediate = true,
                    Lun = 0,
                    InitiatorTaskTag = Bhs.ReservedTag,
                    TargetTransferTag = work.TargetTransferTag,
                    CmdSN = work.CmdSN,
                    ExpStatSN = expStatSN,
                }.WriteTo(header);
                PduWriter.WriteHeader(output, header, connection.HeaderDigest);
                return 0;

            case WorkKind.Ping:
                // Our own keepalive: a valid ITT asks for a NOP-In; immediate, so no CmdSN is used.
                new NopOutPdu
                {
                    Immediate = true,
                    InitiatorTaskTag = work.Itt,
                    TargetTransferTag = Bhs.ReservedTag,
                    CmdSN = work.CmdSN,
                    ExpStatSN = expStatSN,
                }.WriteTo(header);
                PduWriter.WriteHeader(output, header, connection.HeaderDigest);
                return 0;

            case WorkKind.Control:
                if (work.ControlKind == CommandKind.TaskManagement)
                {
                    new TaskManagementRequestPdu
                    {
                        Immediate = true,
                        Function = work.Function,
                        Lun = work.LunField,
                        InitiatorTaskTag = work.Itt,
                        ReferencedTaskTag = work.ReferencedTag,
                        CmdSN = work.CmdSN,
                        ExpStatSN = expStatSN,
                        RefCmdSN = work.RefCmdSN,
                    }.WriteTo(header);
                }
                else
                {
                    new LogoutRequestPdu
                    {
                        Immediate = true,
                        Reason = LogoutReason.CloseSession,
                        InitiatorTaskTag = work.Itt,
                        CmdSN = work.CmdSN,
                        ExpStatSN = expStatSN,
                    }.WriteTo(header);
                }

                PduWriter.WriteHeader(output, header, connection.HeaderDigest);
                return 0;

            case WorkKind.DataOut:
                return WriteDataOutSequence(connection, ref work, header, expStatSN, work.TargetTransferTag, work.Offset, work.Offset + work.Length);

            case WorkKind.Command:
                return WriteCommand(connection, ref work, header, expStatSN);

            default:
                return 0;
        }
    }

    private int WriteCommand(InitiatorConnection connection, ref SendWork work, Span<byte> header, uint expStatSN)
    {
        var p = connection.Parameters;
        bool write = !work.DataOut.IsEmpty;
        int expected = write ? work.DataOut.Length : work.DataInLength;

        // RFC 7143 §13.11, §13.14: immediate data within FirstBurstLength and the target's MaxRecvDataSegmentLength.
        int immediate = write && p.ImmediateData ? Math.Min(expected, Math.Min(p.FirstBurstLength, connection.TargetMaxRecvDataSegmentLength)) : 0;

        // §13.10: with InitialR2T=No, unsolicited Data-Out follows up to FirstBurstLength.
        int unsolicitedEnd = write && !p.InitialR2T ? Math.Max(immediate, Math.Min(expected, p.FirstBurstLength)) : immediate;
        new ScsiCommandPdu
        {
            Immediate = false,
            Final = unsolicitedEnd == immediate,
            Read = work.DataInLength > 0,
            Write = write,
            Attributes = 1, // SIMPLE
            Lun = work.LunField,
            InitiatorTaskTag = work.Itt,
            ExpectedDataTransferLength = (uint)expected,
            CmdSN = work.CmdSN,
            ExpStatSN = expStatSN,
            Cdb = work.Cdb,
            DataSegmentLength = immediate,
        }.WriteTo(header);
        PduWriter.Write(connection.Output, header, work.DataOut.Span[..immediate], connection.HeaderDigest, connection.DataDigest);
        int written = immediate;
        if (unsolicitedEnd > immediate)
        {
            written += WriteDataOutSequence(connection, ref work, header, expStatSN, Bhs.ReservedTag, immediate, unsolicitedEnd);
        }

        return written;
    }

    /// <summary>
    /// One Data-Out sequence (RFC 7143 §11.7): [start, end) in PDUs of at most the target's
    /// MaxRecvDataSegmentLength, DataSN from 0, F on the last.
    /// </summary>
    private static int WriteDataOutSequence(InitiatorConnection connection, ref SendWork work, Span<byte> header, uint expStatSN, uint ttt, int start, int end)
    {
        int offset = start;
        uint dataSN = 0;
        ReadOnlySpan<byte> data = work.DataOut.Span;
        while (offset < end)
        {
            int length = Math.Min(connection.TargetMaxRecvDataSegmentLength, end - offset);
            new DataOutPdu
            {
                Final = offset + length == end,
                DataSegmentLength = length,
                Lun = work.LunField,
                InitiatorTaskTag = work.Itt,
                TargetTransferTag = ttt,
                ExpStatSN = expStatSN,
                DataSN = dataSN++,
                BufferOffset = (uint)offset,
            }.WriteTo(header);
            PduWriter.Write(connection.Output, header, data.Slice(offset, length), connection.HeaderDigest, connection.DataDigest);
            offset += length;
        }

        return end - start;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Send loop ended: {Message}")]
    private static partial void LogSendEnded(ILogger logger, string message);
}
