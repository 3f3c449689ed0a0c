using System.Buffers;
using System.Buffers.Binary;
using NetScsi.Iscsi.Pdus;
using NetScsi.Scsi;

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
        if (!session.TryAcceptCmdSN(pdu.CmdSN, pdu.Immediate))
        {
            // §4.2.2.1: outside the window (or a duplicate): silently ignored.
            return true;
        }

        int immediate = frame.DataSegmentLength;
        if (immediate > 0 && (!pdu.Write || !_parameters.ImmediateData || immediate > _parameters.FirstBurstLength || immediate > pdu.ExpectedDataTransferLength))
        {
            // §13.10/§13.14: immediate data only with W set, when negotiated, within FirstBurstLength and EDTL.
            await SendRejectAsync(RejectReason.ProtocolError, frame.Header).ConfigureAwait(false);
            session.CompleteNonScsi(pdu.Immediate);
            return true;
        }

        bool tooLarge = pdu.ExpectedDataTransferLength > MaxCommandBufferLength;
        int bufferLength = tooLarge || !(pdu.Read || pdu.Write) ? 0 : (int)pdu.ExpectedDataTransferLength;
        var command = session.BeginCommand(pdu.InitiatorTaskTag, pdu.CmdSN, bufferLength, out bool overBudget);
        if (command is null)
        {
            // §11.2.1.8 / §11.17.1: an ITT still in use by a live task: "task in progress".
            await SendRejectAsync(RejectReason.TaskInProgress, frame.Header).ConfigureAwait(false);
            session.CompleteNonScsi(pdu.Immediate);
            return true;
        }

        var task = command.Task;
        task.Reset();
        task.Nexus = session.Nexus;
        task.Lun = pdu.Lun;
        task.Tag = pdu.InitiatorTaskTag;
        task.Attribute = (TaskAttribute)pdu.Attributes;
        task.ExpectedDataTransferLength = bufferLength;
        task.Direction = pdu.Read && pdu.Write ? DataDirection.Bidirectional
            : pdu.Read ? DataDirection.Read
            : pdu.Write ? DataDirection.Write
            : DataDirection.None;
        if (!SetCdb(task, pdu, frame.AdditionalHeaders))
        {
            await SendRejectAsync(RejectReason.ProtocolError, frame.Header).ConfigureAwait(false);
            session.Finish(command, slideWindow: !pdu.Immediate);
            return true;
        }

        if (overBudget)
        {
            // SAM-5 §5.3.1: TASK SET FULL when the target lacks resources for the command right now;
            // initiators retry (Linux lowers its queue depth). Any data for it is discarded.
            task.ExpectedDataTransferLength = 0;
            task.Status = ScsiStatus.TaskSetFull;
            command.RunWithoutExecution = true;
            command.Start();
            return true;
        }

        if (tooLarge || task.Direction == DataDirection.Bidirectional)
        {
            // Bidirectional commands are not supported, and a transfer above our buffer limit is refused
            // before any data is accepted: SPC-4 INVALID FIELD IN CDB.
            task.ExpectedDataTransferLength = 0;
            task.CheckCondition(SenseKey.IllegalRequest, 0x24, 0x00);
            command.RunWithoutExecution = true;
            command.Start();
            return true;
        }

        if (task.Direction != DataDirection.Write)
        {
            task.Buffer = command.Buffer;
            // A data digest needs every byte in hand, so only without one may read data stay in its file.
            task.AcceptsFileDataIn = _fileSender is not null && !_dataDigest;
            command.Start();
            return true;
        }

        int expected = bufferLength;
        CopyData(frame.Data, command.BufferSpan(0, immediate));
        // §13.10: with InitialR2T=No and F=0, unsolicited Data-Out follows up to FirstBurstLength.
        int unsolicitedEnd = !_parameters.InitialR2T && !pdu.Final
            ? Math.Min(_parameters.FirstBurstLength, expected)
            : immediate;
        command.ExpectWriteData(expected, immediate, Math.Max(unsolicitedEnd, immediate));
        if (command.AllDataReceived)
        {
            task.Buffer = command.Buffer;
            command.Start();
            return true;
        }
        if (command.NextR2TOffset < expected)
        {
            await SendR2TsAsync(command).ConfigureAwait(false);
        }
        return true;
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

    /// <summary>SCSI Data-Out (RFC 7143 §11.7): unsolicited (TTT 0xffffffff) or answering an R2T.</summary>
    private async ValueTask<bool> HandleDataOutAsync(PduFrame frame)
    {
        var session = Session;
        var pdu = DataOutPdu.Parse(frame.Header);
        if (session is null || !session.TryGetCommand(pdu.InitiatorTaskTag, out var command) || !command.WaitingForData)
        {
            // Data for a task we no longer hold (aborted, or dropped for its CmdSN): discard.
            return true;
        }

        int offset = (int)Math.Min(pdu.BufferOffset, int.MaxValue);
        int length = pdu.DataSegmentLength;
        bool unsolicited = pdu.TargetTransferTag == Bhs.ReservedTag;
        int slot = -1;
        bool valid;
        if (unsolicited)
        {
            valid = offset == command.ReceivedLength && offset + length <= command.UnsolicitedEnd
                && pdu.DataSN == command.NextUnsolicitedDataSN;
        }
        else
        {
            slot = command.FindR2T(pdu.TargetTransferTag);
            valid = slot >= 0;
            if (valid)
            {
                ref var r2t = ref command.GetR2T(slot);
                // DataPDUInOrder=Yes: each PDU continues where the last one of the sequence ended.
                valid = offset == r2t.Offset + r2t.Received && offset + length <= r2t.Offset + r2t.Length
                    && pdu.DataSN == r2t.NextDataSN;
            }
        }
        if (!valid)
        {
            // §11.7, §11.17.1: at ERL 0 a Data-Out we cannot place (bad TTT, offset or DataSN) fails the task:
            // reject the PDU and end the command with CHECK CONDITION so nothing waits forever.
            await SendRejectAsync(RejectReason.ProtocolError, frame.Header).ConfigureAwait(false);
            FailWrite(command);
            return true;
        }

        CopyData(frame.Data, command.BufferSpan(offset, length));
        command.AddReceived(length);
        bool sendMore = false;
        if (unsolicited)
        {
            command.NextUnsolicitedDataSN++;
        }
        else
        {
            ref var r2t = ref command.GetR2T(slot);
            r2t.Received += length;
            r2t.NextDataSN++;
            if (r2t.Received == r2t.Length)
            {
                command.CompleteR2T(slot);
                sendMore = command.NextR2TOffset < command.ExpectedWriteLength;
            }
        }

        if (command.AllDataReceived)
        {
            command.ClearR2Ts();
            command.Task.Buffer = command.Buffer;
            command.Start();
        }
        else if (sendMore)
        {
            await SendR2TsAsync(command).ConfigureAwait(false);
        }
        return true;
    }

    private static void FailWrite(TargetCommand command)
    {
        command.ClearR2Ts();
        command.Task.Buffer = Memory<byte>.Empty;
        // SAM-5: the data phase failed; report it as an aborted command (protocol service CRC or data error).
        command.Task.CheckCondition(SenseKey.AbortedCommand, 0x0C, 0x0D);
        command.RunWithoutExecution = true;
        command.Start();
    }
}
