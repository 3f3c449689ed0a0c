using Microsoft.Extensions.Logging;
using NetScsi.Iscsi.Pdus;
using NetScsi.Transport;

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
        public int DataInLength;
        public int DataOutLength;
        public CommandKind ControlKind;
        public TaskManagementFunction Function;
        public uint ReferencedTag;
        public uint RefCmdSN;
        public LogoutReason LogoutReason;
        public ushort LogoutCid;
    }

    /// <summary>
    /// The one sender of a connection: takes work in priority order (NOP answers, pings, immediate
    /// requests, Data-Out, then new commands while the CmdSN window allows), hands each to the data
    /// mover, and flushes once per batch.
    /// </summary>
    private async Task SendLoopAsync(InitiatorConnection connection)
    {
        IInitiatorDataMover mover = connection.Mover;
        try
        {
            while (true)
            {
                await connection.SendSignal.WaitAsync().ConfigureAwait(false);
                if (connection.IsClosing)
                {
                    return;
                }

                Task<bool>? handedOver = Interlocked.Exchange(ref connection.HandedOverFlush, null);
                if (handedOver is not null)
                {
                    // The receive loop left us a flush to finish, and the send side with it.
                    if (!await handedOver.ConfigureAwait(false))
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
                            if (!await mover.FlushAsync(connection.Closing).ConfigureAwait(false))
                            {
                                return;
                            }
                        }
                    }

                    if (wrote && !await mover.FlushAsync(connection.Closing).ConfigureAwait(false))
                    {
                        return;
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
        ValueTask<bool> flush = connection.Mover.FlushAsync(connection.Closing);
        if (flush.IsCompletedSuccessfully)
        {
            // False means the connection is closing; its loops notice on their own.
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
            more = connection.Attached && !connection.IsClosing
                && (connection.NopReplies.Count > 0 || connection.PingRequested || connection.Controls.Count > 0 || _immediate.Count > 0
                    || connection.Mover.HasSolicitedData
                    || (_pending.Count > 0 && SerialNumber.LessOrEqual(_cmdSN, _maxCmdSN) && TakesNewCommandsLocked(connection, wake: true)));
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
            if (!connection.Attached || connection.IsClosing || _state is not (IscsiSessionState.Running or IscsiSessionState.Closing))
            {
                return false;
            }

            if (connection.NopReplies.Count > 0)
            {
                work.Kind = WorkKind.NopReply;
                work.TargetTransferTag = connection.NopReplies.Dequeue();
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

            if (connection.Controls.Count > 0 || _immediate.Count > 0)
            {
                // Task management and logout go as immediate commands: they carry CmdSN without
                // advancing it and are not held back by the window (RFC 7143 §4.2.2.1). Task management goes on any
                // connection of the session (§7); a Logout on the one it names.
                InitiatorCommand control = connection.Controls.Count > 0 ? connection.Controls.Dequeue() : _immediate.Dequeue();
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
                work.LogoutReason = control.LogoutReason;
                work.LogoutCid = control.LogoutCid;
                return true;
            }

            if (connection.Mover.HasSolicitedData)
            {
                // Data-Out that R2Ts asked for: the mover holds it and drops what is stale.
                work.Kind = WorkKind.DataOut;
                return true;
            }

            // RFC 7143 §4.2.2.1: never send a CmdSN beyond MaxCmdSN (the window is the session's, over all its
            // connections). §11.9.1: once the target has asked for a logout, no new command goes on this connection; the
            // queued ones wait for the session re-opened after it.
            while (_pending.Count > 0 && SerialNumber.LessOrEqual(_cmdSN, _maxCmdSN) && TakesNewCommandsLocked(connection, wake: true))
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
                command.Connection = connection;
                connection.Outstanding++;
                connection.Issued++;
                _active[command.Itt] = command;
                work.Kind = WorkKind.Command;
                work.Command = command;
                work.Itt = command.Itt;
                work.CmdSN = command.CmdSN;
                work.LunField = command.LunField;
                work.Cdb = command.Cdb;
                work.DataOutLength = command.WriteData.Length;
                work.DataInLength = command.DataInLength;
                return true;
            }

            return false;
        }
    }

    /// <summary>Hands one work item to the data mover; returns the data bytes it buffered.</summary>
    private static int Write(InitiatorConnection connection, ref SendWork work)
    {
        IInitiatorDataMover mover = connection.Mover;
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
                mover.SendControl(header, []);
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
                mover.SendControl(header, []);
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
                        Reason = work.LogoutReason,
                        Cid = work.LogoutCid,
                        InitiatorTaskTag = work.Itt,
                        CmdSN = work.CmdSN,
                        ExpStatSN = expStatSN,
                    }.WriteTo(header);
                }

                mover.SendControl(header, []);
                return 0;

            case WorkKind.DataOut:
                return mover.SendSolicitedData(expStatSN);

            case WorkKind.Command:
                return WriteCommand(mover, ref work, header, expStatSN);

            default:
                return 0;
        }
    }

    /// <summary>
    /// A SCSI Command (RFC 7143 §11.3): its BHS here; the mover adds the immediate data and the unsolicited Data-Out
    /// burst the login allows (and sets DataSegmentLength and F accordingly).
    /// </summary>
    private static int WriteCommand(IInitiatorDataMover mover, ref SendWork work, Span<byte> header, uint expStatSN)
    {
        bool write = work.DataOutLength > 0;
        new ScsiCommandPdu
        {
            Immediate = false,
            Final = true,
            Read = work.DataInLength > 0,
            Write = write,
            Attributes = 1, // SIMPLE
            Lun = work.LunField,
            InitiatorTaskTag = work.Itt,
            ExpectedDataTransferLength = (uint)(write ? work.DataOutLength : work.DataInLength),
            CmdSN = work.CmdSN,
            ExpStatSN = expStatSN,
            Cdb = work.Cdb,
        }.WriteTo(header);
        return mover.SendCommand(header, work.Command!, expStatSN);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Send loop ended: {Message}")]
    private static partial void LogSendEnded(ILogger logger, string message);
}
