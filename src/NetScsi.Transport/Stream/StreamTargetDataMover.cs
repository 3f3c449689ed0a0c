using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using NetScsi.Iscsi.Digests;
using NetScsi.Iscsi.Pdus;
using NetScsi.Scsi;

namespace NetScsi.Transport;

/// <summary>
/// A target's data mover over a byte stream: Data-In PDUs for Put_Data, R2Ts for Get_Data, and the Data-Out they
/// bring placed in the write's buffer (RFC 7143 §11.7-11.8). With DataPDUInOrder=No the Data-Out of a sequence may
/// come in any order and is placed by its offset, each byte once; R2Ts go out several at a time (MaxOutstandingR2T)
/// and are answered in whatever order the initiator likes.
/// </summary>
public class StreamTargetDataMover : StreamDataMover, ITargetDataMover
{
    /// <summary>The BHS of the Data-In being written (the send side has one writer at a time).</summary>
    private readonly byte[] _dataInHeader = new byte[Bhs.Length];

    /// <summary>Header and digest of a Data-In sent from storage.</summary>
    private readonly byte[] _storedHeader = new byte[Bhs.Length + Crc32C.DigestLength];

    /// <summary>
    /// How many ended-early data phases are remembered. Covers a whole aborted task set at the deepest queue we
    /// advertise; a Data-Out for a tag that has dropped out of it is rejected like any unknown tag.
    /// </summary>
    internal const int EndedDataPhaseMemory = 256;

    private ITargetDataMoverHandler? _handler;
    private uint _nextTargetTransferTag;

    /// <summary>
    /// Initiator Task Tags whose data phase was ended before all its data came (aborted, failed, logged out): a ring,
    /// allocated on the first such end. RFC 7143 §4.2.3 (task management actions): the initiator goes on answering the
    /// R2Ts of an aborted task, so Data-Out for it is expected and quietly dropped, not rejected.
    /// </summary>
    private uint[]? _endedEarly;
    private int _endedEarlyCount;
    private int _endedEarlyNext;

    public StreamTargetDataMover(IDuplexPipe pipe, string kind, string peerAddress, string remoteName)
        : base(pipe, kind, peerAddress, remoteName)
    {
    }

    /// <inheritdoc/>
    /// <remarks>A plain byte stream would only copy stored data into the pipe, later and under the send side.</remarks>
    public virtual bool PrefersStoredDataIn => false;

    public Task<DataMoverReceiveEnd> RunAsync(ITargetDataMoverHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _handler = handler;
        return ReceiveAsync(cancellationToken);
    }

    private protected override ValueTask<bool> DispatchAsync(PduReadResult status, PduFrame frame)
    {
        if (status != PduReadResult.Complete)
        {
            return _handler!.OnFramingErrorAsync(status, frame);
        }
        return FullFeature && frame.Opcode == IscsiOpcode.DataOut ? ReceiveDataOut(frame) : _handler!.OnControlAsync(frame);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask PutDataAsync(DataTask task, DataInSource data, TargetSequenceNumbers numbers, DataInStatus? status)
    {
        DataMoverParameters p = Parameters;
        var segments = new DataSegmenter(0, data.Length, p.PeerMaxRecvDataSegmentLength, p.MaxBurstLength);
        int unflushed = 0;
        while (segments.Next(out DataSegment segment))
        {
            WriteDataInHeader(task, segment, numbers, segment.Last ? status : null);
            if (data.Stored is { } stored)
            {
                int headerLength = PduWriter.WriteHeader(_storedHeader, _dataInHeader, p.HeaderDigest);
                CountSend();
                await SendStoredDataInAsync(_storedHeader.AsMemory(0, headerLength), stored, segment.Offset, segment.Length).ConfigureAwait(false);
                continue;
            }

            WriteData(_dataInHeader, data.Memory.Span.Slice(segment.Offset, segment.Length));
            unflushed += segment.Length;
            if (unflushed >= FlushThreshold && !segment.Last)
            {
                unflushed = 0;
                await FlushAsync().ConfigureAwait(false);
            }
        }
    }

    private void WriteDataInHeader(DataTask task, in DataSegment segment, TargetSequenceNumbers numbers, DataInStatus? status)
    {
        bool withStatus = status.HasValue;
        DataInStatus s = status.GetValueOrDefault();
        new DataInPdu
        {
            Final = segment.Final,
            HasStatus = withStatus,
            Status = s.Status,
            ResidualOverflow = s.ResidualOverflow,
            ResidualUnderflow = s.ResidualUnderflow,
            ResidualCount = s.ResidualCount,
            DataSegmentLength = segment.Length,
            // §11.7.4: with S set the LUN field is reserved, and StatSN is only valid (and only advances) with S.
            Lun = withStatus ? 0 : task.LunField,
            InitiatorTaskTag = task.InitiatorTaskTag,
            TargetTransferTag = Bhs.ReservedTag,
            StatSN = withStatus ? numbers.StatSN : 0,
            ExpCmdSN = numbers.ExpCmdSN,
            MaxCmdSN = numbers.MaxCmdSN,
            DataSN = segment.DataSN,
            BufferOffset = (uint)segment.Offset,
        }.WriteTo(_dataInHeader);
    }

    /// <summary>
    /// Sends one Data-In whose data is still in storage: <paramref name="header"/> (BHS and digest) then
    /// <paramref name="length"/> bytes of <paramref name="stored"/> from <paramref name="offset"/>. Here they are read
    /// into the pipe; a transport that can send from the storage itself (sendfile) overrides it.
    /// </summary>
    protected virtual ValueTask SendStoredDataInAsync(ReadOnlyMemory<byte> header, StoredData stored, int offset, int length)
    {
        Output.Write(header.Span);
        Span<byte> data = Output.GetSpan(length)[..length];
        stored.Source.Read(stored.Offset + offset, data);
        bool digest = Parameters.DataDigest;
        uint crc = digest ? Crc32C.Append(Crc32C.Seed, data) : Crc32C.Seed;
        Output.Advance(length);
        PduWriter.WriteDataTrailer(Output, crc, length, digest);
        return FlushStoredAsync();
    }

    /// <summary>Stored data is large (16 KiB and up): each piece goes out before the next is read.</summary>
    private async ValueTask FlushStoredAsync() => await FlushAsync().ConfigureAwait(false);

    public DataOutStart BeginDataOut(DataTask task, in ReadOnlySequence<byte> immediateData, int unsolicitedEnd)
    {
        int expected = task.DataBuffer.Length;
        int immediate = (int)immediateData.Length;
        immediateData.CopyTo(task.DataBuffer.Span);
        task.Stream.Reset(expected, Math.Max(unsolicitedEnd, immediate));
        if (!Parameters.DataPduInOrder)
        {
            _ = task.Stream.Received.TryAdd(0, immediate);
        }
        task.ReceivedLength = immediate;
        task.WaitingForData = immediate < expected;
        if (!task.WaitingForData)
        {
            return DataOutStart.Complete;
        }
        return task.Stream.NextR2TOffset < expected ? DataOutStart.NeedsGetData : DataOutStart.AwaitingUnsolicited;
    }

    public void GetData(DataTask task, TargetSequenceNumbers numbers)
    {
        ref StreamTransferState state = ref task.Stream;
        Span<byte> header = stackalloc byte[Bhs.Length];
        DataMoverParameters p = Parameters;
        int maxOutstanding = Math.Min(p.MaxOutstandingR2T, StreamTransferState.MaxR2Ts);
        while (state.OutstandingR2Ts < maxOutstanding && state.NextR2TOffset < state.ExpectedLength)
        {
            int offset = state.NextR2TOffset;
            int length = Math.Min(p.MaxBurstLength, state.ExpectedLength - offset);
            uint ttt = NextTargetTransferTag();
            int slot = state.AddR2T(ttt, offset, length);
            if (slot < 0)
            {
                break;
            }
            // §11.8: an R2T carries the current StatSN without advancing it (§4.2.2.2).
            new ReadyToTransferPdu
            {
                Lun = task.LunField,
                InitiatorTaskTag = task.InitiatorTaskTag,
                TargetTransferTag = ttt,
                StatSN = numbers.StatSN,
                ExpCmdSN = numbers.ExpCmdSN,
                MaxCmdSN = numbers.MaxCmdSN,
                R2TSN = state.R2Ts![slot].R2TSN,
                BufferOffset = (uint)offset,
                DesiredDataTransferLength = (uint)length,
            }.WriteTo(header);
            PduWriter.WriteHeader(Output, header, p.HeaderDigest);
        }
    }

    public void EndDataOut(DataTask task)
    {
        if (task.WaitingForData)
        {
            RememberEndedEarly(task.InitiatorTaskTag);
        }
        EndDataPhase(task);
    }

    public void DiscardDataOut(uint initiatorTaskTag) => RememberEndedEarly(initiatorTaskTag);

    private static void EndDataPhase(DataTask task)
    {
        task.Stream.ClearR2Ts();
        task.WaitingForData = false;
    }

    private void RememberEndedEarly(uint itt)
    {
        _endedEarly ??= new uint[EndedDataPhaseMemory];
        _endedEarly[_endedEarlyNext] = itt;
        _endedEarlyNext = (_endedEarlyNext + 1) % EndedDataPhaseMemory;
        _endedEarlyCount = Math.Min(_endedEarlyCount + 1, EndedDataPhaseMemory);
    }

    /// <summary>Whether a data phase with this tag was ended early lately (its late Data-Out is no error).</summary>
    private bool EndedEarly(uint itt)
    {
        uint[]? ring = _endedEarly;
        if (ring is null)
        {
            return false;
        }
        for (int i = 0; i < _endedEarlyCount; i++)
        {
            if (ring[i] == itt)
            {
                return true;
            }
        }
        return false;
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

    /// <summary>SCSI Data-Out (RFC 7143 §11.7): unsolicited (TTT 0xffffffff) or answering one of our R2Ts.</summary>
    private ValueTask<bool> ReceiveDataOut(in PduFrame frame)
    {
        var pdu = DataOutPdu.Parse(frame.Header);
        ITargetDataMoverHandler handler = _handler!;
        DataTask? task = handler.FindDataOutTask(pdu.InitiatorTaskTag);
        if (task is null || !task.WaitingForData)
        {
            if (EndedEarly(pdu.InitiatorTaskTag))
            {
                // Data still on its way for a task whose data phase we ended (ABORT TASK, a failed sequence, Logout).
                return new ValueTask<bool>(true);
            }
            return handler.OnDataOutRejectedAsync(task, frame, task is null ? DataOutError.UnknownTask : DataOutError.NotExpected);
        }

        ref StreamTransferState state = ref task.Stream;
        int offset = (int)Math.Min(pdu.BufferOffset, int.MaxValue);
        int length = frame.DataSegmentLength;
        bool unsolicited = pdu.TargetTransferTag == Bhs.ReservedTag;
        bool anyOrder = !Parameters.DataPduInOrder;
        int slot = -1;
        DataOutError? error;
        if (unsolicited)
        {
            error = anyOrder
                ? CheckPlacement(ref state.Received, offset, length, 0, state.UnsolicitedEnd)
                : CheckSequence(offset, length, pdu.DataSN, task.ReceivedLength, state.UnsolicitedEnd, state.NextUnsolicitedDataSN);
        }
        else
        {
            slot = state.FindR2T(pdu.TargetTransferTag);
            if (slot < 0)
            {
                error = DataOutError.InvalidTargetTransferTag;
            }
            else
            {
                ref R2TState r2t = ref state.R2Ts![slot];
                error = anyOrder
                    ? CheckPlacement(ref state.Received, offset, length, r2t.Offset, r2t.Offset + r2t.Length)
                    : CheckSequence(offset, length, pdu.DataSN, r2t.Offset + r2t.Received, r2t.Offset + r2t.Length, r2t.NextDataSN);
            }
        }
        if (error is { } reason)
        {
            return handler.OnDataOutRejectedAsync(task, frame, reason);
        }

        frame.Data.CopyTo(task.DataBuffer.Span.Slice(offset, length));
        task.ReceivedLength += length;
        bool solicitMore = false;
        if (unsolicited)
        {
            state.NextUnsolicitedDataSN++;
        }
        else
        {
            ref R2TState r2t = ref state.R2Ts![slot];
            r2t.Received += length;
            r2t.NextDataSN++;
            if (r2t.Received == r2t.Length)
            {
                state.CompleteR2T(slot);
                solicitMore = state.NextR2TOffset < state.ExpectedLength;
            }
        }

        if (task.ReceivedLength >= state.ExpectedLength)
        {
            EndDataPhase(task);
            handler.OnDataOutComplete(task);
        }
        else if (solicitMore)
        {
            return ContinueAfter(handler.OnMoreDataWantedAsync(task));
        }
        return new ValueTask<bool>(true);
    }

    /// <summary>
    /// DataPDUInOrder=Yes (RFC 7143 §13.18): each PDU continues where the last one of its sequence ended, with the
    /// next DataSN, and stays within what the sequence asked for.
    /// </summary>
    private static DataOutError? CheckSequence(int offset, int length, uint dataSN, int expectedOffset, int sequenceEnd, uint expectedDataSN)
    {
        if (offset != expectedOffset || dataSN != expectedDataSN)
        {
            return DataOutError.DataOffset;
        }
        return length > sequenceEnd - offset ? DataOutError.TooMuchData : null;
    }

    /// <summary>
    /// DataPDUInOrder=No (RFC 7143 §13.18): a PDU may land anywhere in what its sequence asked for, in any order, but
    /// only where nothing has landed yet (a byte twice would count twice towards the end of the write). Records it.
    /// </summary>
    private static DataOutError? CheckPlacement(ref ReceivedRanges received, int offset, int length, int sequenceStart, int sequenceEnd)
    {
        if (offset < sequenceStart || offset > sequenceEnd)
        {
            return DataOutError.DataOffset;
        }
        if (length > sequenceEnd - offset)
        {
            return DataOutError.TooMuchData;
        }
        return received.TryAdd(offset, offset + length) ? null : DataOutError.DataOffset;
    }

    private static ValueTask<bool> ContinueAfter(ValueTask wanted)
    {
        if (wanted.IsCompletedSuccessfully)
        {
            wanted.GetAwaiter().GetResult();
            return new ValueTask<bool>(true);
        }
        return AwaitContinueAsync(wanted);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<bool> AwaitContinueAsync(ValueTask wanted)
    {
        await wanted.ConfigureAwait(false);
        return true;
    }
}
