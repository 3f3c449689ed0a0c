using System.Buffers;
using System.Runtime.CompilerServices;
using NetScsi.Iscsi.Pdus;
using NetScsi.Scsi;

namespace NetScsi.Iscsi.Target;

internal sealed partial class TargetConnection
{
    /// <summary>Flush the pipe at least this often while streaming Data-In, so a large read does not sit in memory.</summary>
    private const int FlushThreshold = 256 * 1024;

    /// <summary>Header (and digest) of a Data-In sent from a file; only used under the send lock.</summary>
    private readonly byte[] _fileHeader = new byte[Bhs.Length + Digests.Crc32C.DigestLength];

    private uint ExpCmdSN => Session?.ExpCmdSN ?? _discoveryExpCmdSN;

    private uint MaxCmdSN => Session?.MaxCmdSN ?? _discoveryExpCmdSN;

    private uint _discoveryExpCmdSN;

    /// <summary>
    /// Waits for the send lock on behalf of a command's worker loop, with the command's own waiter: the
    /// wait allocates nothing however many commands queue, and because the loop awaits it (not an
    /// async method of ours) no state machine box is rented either.
    /// </summary>
    internal ValueTask WaitForSendLockAsync(SendLock.Waiter waiter) => _sendLock.WaitAsync(waiter);

    /// <summary>
    /// Sends the data and status of a finished SCSI command (RFC 7143 §11.4, §11.7). The caller holds
    /// the send lock (<see cref="WaitForSendLockAsync"/>); it is released here.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendScsiResultAsync(TargetCommand command)
    {
        var task = command.Task;
        int expected = task.ExpectedDataTransferLength;
        int dataIn = task.Direction == DataDirection.Read ? Math.Min(task.DataInLength, expected) : 0;

        // RFC 7143 §11.4.5: residuals compare what the command wanted to move with EDTL.
        long wanted = task.CommandTransferLength >= 0
            ? task.CommandTransferLength
            : task.Direction == DataDirection.Read ? dataIn : expected;
        bool overflow = wanted > expected;
        bool underflow = wanted < expected;
        uint residual = (uint)Math.Min(uint.MaxValue, overflow ? wanted - expected : expected - wanted);

        // Status may ride on the last Data-In only when there is no sense data (§11.7.4).
        bool foldStatus = dataIn > 0 && task.Status is ScsiStatus.Good or ScsiStatus.ConditionMet && task.SenseLength == 0;

        try
        {
            if (_closed.IsCancellationRequested)
            {
                return;
            }
            if (dataIn > 0)
            {
                int offset = 0;
                uint dataSN = 0;
                int unflushed = 0;
                int burst = _parameters.MaxBurstLength;
                int burstUsed = 0;
                while (offset < dataIn)
                {
                    int length = Math.Min(_parameters.InitiatorMaxRecvDataSegmentLength, dataIn - offset);
                    length = Math.Min(length, burst - burstUsed);
                    bool last = offset + length == dataIn;
                    burstUsed += length;
                    // §11.7.1: F ends a Data-In sequence (at most MaxBurstLength) and the command's data.
                    bool final = last || burstUsed == burst;
                    if (burstUsed == burst)
                    {
                        burstUsed = 0;
                    }
                    DataInPdu pdu = DataIn(command, offset, length, dataSN++, final, last && foldStatus, overflow, underflow, residual);
                    if (task.DataInFile is { } file)
                    {
                        // The data is still in the unit's file: header and data go out together via sendfile.
                        // The pipe is empty here (every send-lock holder flushes before releasing it).
                        pdu.WriteTo(_fileHeader);
                        int headerLength = PduWriter.WriteHeader(_fileHeader, _fileHeader, _headerDigest);
                        await _fileSender!.SendFileAsync(_fileHeader.AsMemory(0, headerLength), file, task.DataInFileOffset + offset, length).ConfigureAwait(false);
                    }
                    else
                    {
                        WriteDataIn(pdu, command.Buffer.Span.Slice(offset, length));
                        unflushed += length;
                        if (unflushed >= FlushThreshold && !last)
                        {
                            unflushed = 0;
                            await _output.FlushAsync().ConfigureAwait(false);
                        }
                    }
                    offset += length;
                }
            }
            if (!foldStatus)
            {
                WriteScsiResponse(command, overflow, underflow, residual);
            }
            await _output.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException)
        {
            OnSendFailed(e);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private DataInPdu DataIn(TargetCommand command, int offset, int length, uint dataSN, bool final, bool withStatus, bool overflow, bool underflow, uint residual)
        => new()
        {
            Final = final,
            HasStatus = withStatus,
            Status = withStatus ? (byte)command.Task.Status : (byte)0,
            ResidualOverflow = withStatus && overflow,
            ResidualUnderflow = withStatus && underflow,
            ResidualCount = withStatus ? residual : 0,
            DataSegmentLength = length,
            Lun = withStatus ? 0 : command.Lun,
            InitiatorTaskTag = command.InitiatorTaskTag,
            TargetTransferTag = Bhs.ReservedTag,
            // §11.7.4: StatSN is only valid (and only advances) when S is set.
            StatSN = withStatus ? _statSN++ : 0,
            ExpCmdSN = ExpCmdSN,
            MaxCmdSN = MaxCmdSN,
            DataSN = dataSN,
            BufferOffset = (uint)offset,
        };

    private void WriteDataIn(in DataInPdu pdu, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[Bhs.Length];
        pdu.WriteTo(header);
        PduWriter.Write(_output, header, data, _headerDigest, _dataDigest);
    }

    private void WriteScsiResponse(TargetCommand command, bool overflow, bool underflow, uint residual)
    {
        var task = command.Task;
        Span<byte> header = stackalloc byte[Bhs.Length];
        // §11.4.7: the data segment carries SenseLength (2 bytes) then the sense data.
        Span<byte> sense = stackalloc byte[2 + ScsiTask.MaxSenseLength];
        int senseLength = task.SenseLength;
        int dataLength = 0;
        if (senseLength > 0)
        {
            sense[0] = (byte)(senseLength >> 8);
            sense[1] = (byte)senseLength;
            task.Sense.CopyTo(sense[2..]);
            dataLength = 2 + senseLength;
        }
        var pdu = new ScsiResponsePdu
        {
            Response = 0,
            Status = (byte)task.Status,
            ResidualOverflow = overflow,
            ResidualUnderflow = underflow,
            ResidualCount = overflow || underflow ? residual : 0,
            DataSegmentLength = dataLength,
            InitiatorTaskTag = command.InitiatorTaskTag,
            StatSN = _statSN++,
            ExpCmdSN = ExpCmdSN,
            MaxCmdSN = MaxCmdSN,
            // §11.4.8: for reads, the number of Data-In PDUs sent; we report 0 like peers when unused.
            ExpDataSN = 0,
        };
        pdu.WriteTo(header);
        PduWriter.Write(_output, header, sense[..dataLength], _headerDigest, _dataDigest);
    }

    /// <summary>Writes PDUs under the send lock and flushes; a failed send closes the connection.</summary>
    private delegate void LockedWrite<TState>(TargetConnection connection, in TState state);

    /// <summary>
    /// The one way control PDUs leave: take the send lock (so StatSN follows wire order), write
    /// synchronously, flush, release. Nothing is sent once the connection is closing.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendLockedAsync<TState>(TState state, LockedWrite<TState> write)
    {
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_closed.IsCancellationRequested)
            {
                return;
            }
            write(this, state);
            await _output.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException)
        {
            OnSendFailed(e);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends R2Ts for a write command (no StatSN advance: §4.2.2.2).</summary>
    private ValueTask SendR2TsAsync(TargetCommand command) => SendLockedAsync(command, static (c, in cmd) => c.WriteR2Ts(cmd));

    private void WriteR2Ts(TargetCommand command)
    {
        Span<byte> header = stackalloc byte[Bhs.Length];
        int maxOutstanding = Math.Min(_parameters.MaxOutstandingR2T, TargetCommand.MaxR2Ts);
        while (command.OutstandingR2Ts < maxOutstanding && command.NextR2TOffset < command.ExpectedWriteLength)
        {
            int offset = command.NextR2TOffset;
            int length = Math.Min(_parameters.MaxBurstLength, command.ExpectedWriteLength - offset);
            uint ttt = NextTargetTransferTag();
            int slot = command.AddR2T(ttt, offset, length);
            if (slot < 0)
            {
                break;
            }
            var pdu = new ReadyToTransferPdu
            {
                Lun = command.Lun,
                InitiatorTaskTag = command.InitiatorTaskTag,
                TargetTransferTag = ttt,
                StatSN = _statSN,
                ExpCmdSN = ExpCmdSN,
                MaxCmdSN = MaxCmdSN,
                R2TSN = command.GetR2T(slot).R2TSN,
                BufferOffset = (uint)offset,
                DesiredDataTransferLength = (uint)length,
            };
            pdu.WriteTo(header);
            PduWriter.WriteHeader(_output, header, _headerDigest);
        }
    }

    private uint NextTargetTransferTag()
    {
        uint ttt = ++_nextTargetTransferTag;
        if (ttt == Bhs.ReservedTag)
        {
            ttt = ++_nextTargetTransferTag;
        }
        return ttt;
    }

    /// <summary>Reject (RFC 7143 §11.17): the data segment echoes the offending header.</summary>
    private ValueTask SendRejectAsync(RejectReason reason, BhsBuffer rejected)
    {
        var data = new byte[Bhs.Length];
        ((ReadOnlySpan<byte>)rejected).CopyTo(data);
        return SendWithStatSNAsync(data, new RejectPdu { Reason = reason, DataSegmentLength = Bhs.Length });
    }

    /// <summary>Sends a status-bearing control PDU: StatSN is taken under the send lock so it matches wire order.</summary>
    private ValueTask SendWithStatSNAsync<TPdu>(ReadOnlyMemory<byte> data, TPdu pdu)
        where TPdu : struct, IStatusPdu
        => SendLockedAsync((data, pdu), static (c, in s) => c.WriteStatusPdu(s.data.Span, s.pdu));

    private void WriteStatusPdu<TPdu>(ReadOnlySpan<byte> data, TPdu pdu)
        where TPdu : struct, IStatusPdu
    {
        Span<byte> header = stackalloc byte[Bhs.Length];
        pdu.SetSequenceNumbers(_statSN++, ExpCmdSN, MaxCmdSN);
        pdu.WriteTo(header);
        PduWriter.Write(_output, header, data, _headerDigest, _dataDigest);
    }

    /// <summary>§11.19.1: an unsolicited NOP-In (a ping) carries the current StatSN but does not advance it.</summary>
    private ValueTask SendPingAsync(uint tag) => SendLockedAsync(tag, static (c, in t) => c.WritePing(t));

    private void WritePing(uint tag)
    {
        Span<byte> header = stackalloc byte[Bhs.Length];
        new NopInPdu
        {
            InitiatorTaskTag = Bhs.ReservedTag,
            TargetTransferTag = tag,
            StatSN = _statSN,
            ExpCmdSN = ExpCmdSN,
            MaxCmdSN = MaxCmdSN,
        }.WriteTo(header);
        PduWriter.WriteHeader(_output, header, _headerDigest);
    }
}
