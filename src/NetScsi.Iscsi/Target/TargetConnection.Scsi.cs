using System.Buffers;
using System.Buffers.Binary;
using NetScsi.Iscsi.Pdus;
using NetScsi.Scsi;
using NetScsi.Transport;

namespace NetScsi.Iscsi.Target;

internal sealed partial class TargetConnection
{
    /// <summary>AHS type of the extended CDB (RFC 7143 §11.2.2.3).</summary>
    private const byte ExtendedCdbAhsType = 1;

    /// <summary>
    /// Largest data buffer one command may hold. Bounds memory per command whatever EDTL a peer
    /// sends; VPD Block Limits advertises a maximum transfer length below it.
    /// </summary>
    internal const int MaxCommandBufferLength = 16 * 1024 * 1024;

    /// <summary>SCSI Command (RFC 7143 §11.3).</summary>
    private async ValueTask<bool> HandleScsiCommandAsync(PduFrame frame)
    {
        var session = Session;
        if (session is null)
        {
            // Appendix C: a discovery session carries only Text, NOP and Logout.
            await SendRejectAsync(RejectReason.ProtocolError, frame.Header).ConfigureAwait(false);
            return true;
        }
        var pdu = ScsiCommandPdu.Parse(frame.Header);
        if (!session.TryAcceptCmdSN(pdu.CmdSN, pdu.Immediate, canHold: true, out bool held))
        {
            // §4.2.2.1: outside the window (or a duplicate): silently ignored. A CmdSN inside the window ahead of a
            // hole is held instead (§3.2.2.1): its command takes its data now and runs once the hole fills.
            return true;
        }

        try
        {
            if (_loggingOut || session.IsClosed)
            {
                // §11.14: after a Logout that ends the session the initiator sends no new command; one that comes
                // anyway (sent before it read our AsyncEvent 1, or racing its own Logout) is not taken, and "waiting
                // for logout" (§11.9.1) tells it to issue the command again on the session it opens next.
                DiscardUnsolicitedData(pdu);
                await SendRejectAsync(RejectReason.WaitingForLogout, frame.Header).ConfigureAwait(false);
                session.CompleteUnregistered(pdu.CmdSN, pdu.Immediate, held);
                return true;
            }

            int immediate = frame.DataSegmentLength;
            if (immediate > 0 && (!pdu.Write || !_parameters.ImmediateData || immediate > _parameters.FirstBurstLength || immediate > pdu.ExpectedDataTransferLength))
            {
                // §13.10/§13.14: immediate data only with W set, when negotiated, within FirstBurstLength and EDTL.
                DiscardUnsolicitedData(pdu);
                await SendRejectAsync(RejectReason.ProtocolError, frame.Header).ConfigureAwait(false);
                session.CompleteUnregistered(pdu.CmdSN, pdu.Immediate, held);
                return true;
            }

            bool tooLarge = pdu.ExpectedDataTransferLength > MaxCommandBufferLength;
            int bufferLength = tooLarge || !(pdu.Read || pdu.Write) ? 0 : (int)pdu.ExpectedDataTransferLength;
            var command = session.BeginCommand(this, pdu.InitiatorTaskTag, pdu.CmdSN, pdu.Immediate, held, bufferLength, _mover.BufferPool, out bool overBudget);
            if (command is null)
            {
                // §11.2.1.8 / §11.17.1: an ITT still in use by a live task: "task in progress"; or the session ended
                // since the check above: "waiting for logout", as there.
                DiscardUnsolicitedData(pdu);
                await SendRejectAsync(session.IsClosed ? RejectReason.WaitingForLogout : RejectReason.TaskInProgress, frame.Header).ConfigureAwait(false);
                session.CompleteUnregistered(pdu.CmdSN, pdu.Immediate, held);
                return true;
            }

            var task = command.Task;
            task.Reset();
            task.Nexus = session.Nexus;
            task.Lun = pdu.Lun;
            command.LunField = pdu.Lun;
            task.Tag = pdu.InitiatorTaskTag;
            task.Attribute = (TaskAttribute)pdu.Attributes;
            task.ExpectedDataTransferLength = bufferLength;
            task.Direction = pdu.Read && pdu.Write ? DataDirection.Bidirectional
                : pdu.Read ? DataDirection.Read
                : pdu.Write ? DataDirection.Write
                : DataDirection.None;
            if (!SetCdb(task, pdu, frame.AdditionalHeaders))
            {
                DiscardUnsolicitedData(pdu);
                await SendRejectAsync(RejectReason.ProtocolError, frame.Header).ConfigureAwait(false);
                session.Finish(command, slideWindow: !pdu.Immediate);
                return true;
            }

            if (overBudget)
            {
                // SAM-5 §5.3.1: TASK SET FULL when the target lacks resources for the command right now;
                // initiators retry (Linux lowers its queue depth). Any data for it is discarded.
                DiscardUnsolicitedData(pdu);
                task.ExpectedDataTransferLength = 0;
                task.Status = ScsiStatus.TaskSetFull;
                command.RunWithoutExecution = true;
                session.StartInOrder(command);
                return true;
            }

            if (tooLarge || task.Direction == DataDirection.Bidirectional)
            {
                // Bidirectional commands are not supported, and a transfer above our buffer limit is refused
                // before any data is accepted: SPC-4 INVALID FIELD IN CDB.
                DiscardUnsolicitedData(pdu);
                task.ExpectedDataTransferLength = 0;
                task.CheckCondition(SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
                command.RunWithoutExecution = true;
                session.StartInOrder(command);
                return true;
            }

            if (task.Direction != DataDirection.Write)
            {
                task.Buffer = command.Buffer;
                // Read data may stay in its storage when the mover sends it from there best (sendfile without a data digest).
                task.AcceptsStoredDataIn = _mover.PrefersStoredDataIn;
                session.StartInOrder(command);
                return true;
            }

            // §13.10: with InitialR2T=No and F=0, unsolicited Data-Out follows up to FirstBurstLength.
            int unsolicitedEnd = !_parameters.InitialR2T && !pdu.Final
                ? Math.Min(_parameters.FirstBurstLength, bufferLength)
                : immediate;
            command.DataBuffer = command.Buffer;
            switch (_mover.BeginDataOut(command, frame.Data, unsolicitedEnd))
            {
                case DataOutStart.Complete:
                    task.Buffer = command.Buffer;
                    session.StartInOrder(command);
                    break;
                case DataOutStart.NeedsGetData:
                    await SendR2TsAsync(command).ConfigureAwait(false);
                    break;
            }
            return true;
        }
        finally
        {
            if (!held && !pdu.Immediate)
            {
                // §3.2.2.1: the commands held behind this CmdSN follow it, never overtake it.
                session.ReleaseHeld();
            }
        }
    }

    /// <summary>
    /// A write refused before its data phase: with F=0 its unsolicited Data-Out may already be on the way (§13.10), and
    /// is data for a command we answered, not a peer's mistake, so the mover drops it instead of rejecting it.
    /// </summary>
    private void DiscardUnsolicitedData(in ScsiCommandPdu pdu)
    {
        if (pdu.Write && !pdu.Final)
        {
            _mover.DiscardDataOut(pdu.InitiatorTaskTag);
        }
    }

    private static bool SetCdb(ScsiTask task, in ScsiCommandPdu pdu, in ReadOnlySequence<byte> ahs)
    {
        ReadOnlySpan<byte> cdb16 = pdu.Cdb;
        if (ahs.IsEmpty)
        {
            task.SetCdb(cdb16);
            return true;
        }
        // §11.2.2: AHS = AHSLength (2) + AHSType (1) + specific (1) + data. An extended CDB AHS carries
        // the CDB bytes beyond the first 16, its AHSLength counting the reserved byte.
        Span<byte> head = stackalloc byte[4];
        if (ahs.Length < 4)
        {
            return false;
        }
        ahs.Slice(0, 4).CopyTo(head);
        int ahsLength = BinaryPrimitives.ReadUInt16BigEndian(head);
        if (head[2] != ExtendedCdbAhsType || ahsLength < 1 || 3 + ahsLength > ahs.Length || 16 + ahsLength - 1 > ScsiTask.MaxCdbLength)
        {
            return false;
        }
        Span<byte> cdb = stackalloc byte[ScsiTask.MaxCdbLength];
        cdb16.CopyTo(cdb);
        ahs.Slice(4, ahsLength - 1).CopyTo(cdb[16..]);
        task.SetCdb(cdb[..(16 + ahsLength - 1)]);
        return true;
    }

    /// <inheritdoc/>
    /// <remarks>RFC 7143 §7.1.2: a task's Data-Out comes on its own connection; another connection's tag names no task here.</remarks>
    public DataTask? FindDataOutTask(uint initiatorTaskTag) =>
        Session is { } session && session.TryGetCommand(initiatorTaskTag, out var command) && ReferenceEquals(command.Connection, this) ? command : null;

    /// <inheritdoc/>
    /// <remarks>RFC 5047 Data_Completion_Notify: the write runs.</remarks>
    public void OnDataOutComplete(DataTask task)
    {
        var command = (TargetCommand)task;
        command.Task.Buffer = command.Buffer;
        command.StartInOrder();
    }

    /// <inheritdoc/>
    public ValueTask OnMoreDataWantedAsync(DataTask task) => SendR2TsAsync((TargetCommand)task);

    /// <inheritdoc/>
    public async ValueTask<bool> OnDataOutRejectedAsync(DataTask? task, PduFrame frame, DataOutError error)
    {
        switch (error)
        {
            case DataOutError.UnknownTask:
            case DataOutError.NotExpected:
                // §11.7.1, §11.17.1: an Initiator Task Tag that names no task of ours, or a task that takes no data
                // (a read, or a write whose data is all in): "invalid PDU field". Data still arriving for a task whose
                // data phase we ended early never gets here (the mover drops it), so this is the peer's mistake.
                await SendRejectAsync(RejectReason.InvalidPduField, frame.Header).ConfigureAwait(false);
                return true;
            case DataOutError.InvalidTargetTransferTag:
                // §11.7.1: a Target Transfer Tag that names none of the task's outstanding R2Ts: "invalid PDU field".
                // At ERL 0 the data it should have carried cannot be asked for again, so the task fails too.
                await SendRejectAsync(RejectReason.InvalidPduField, frame.Header).ConfigureAwait(false);
                FailWrite((TargetCommand)task!, error);
                return true;
            default:
                // §11.7, §11.17.1: at ERL 0 a Data-Out we cannot place (offset, DataSN or length out of its sequence)
                // fails the task: reject the PDU and end the command with CHECK CONDITION so nothing waits forever.
                await SendRejectAsync(RejectReason.ProtocolError, frame.Header).ConfigureAwait(false);
                FailWrite((TargetCommand)task!, error);
                return true;
        }
    }

    /// <summary>
    /// Ends a write whose data phase failed: ABORTED COMMAND with the iSCSI data-phase sense of RFC 7143 §11.4.7.2.
    /// </summary>
    private void FailWrite(TargetCommand command, DataOutError error)
    {
        _mover.EndDataOut(command);
        command.Task.Buffer = Memory<byte>.Empty;
        command.Task.CheckCondition(SenseKey.AbortedCommand, error switch
        {
            DataOutError.InvalidTargetTransferTag => Asc.InvalidTargetPortTransferTagReceived,
            DataOutError.TooMuchData => Asc.TooMuchWriteData,
            _ => Asc.DataOffsetError,
        });
        command.RunWithoutExecution = true;
        command.StartInOrder();
    }

    /// <summary>Ends a write's data phase on this connection's mover (task management, logout, session end).</summary>
    internal void EndDataOut(TargetCommand command) => _mover.EndDataOut(command);
}
