using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using NetScsi.Iscsi.Digests;
using NetScsi.Iscsi.Pdus;

namespace NetScsi.Transport;

/// <summary>
/// An initiator's data mover over a byte stream: commands with their immediate data and unsolicited Data-Out, the
/// Data-Out sequences R2Ts ask for, and Data-In placed by its buffer offset (RFC 7143 §11.3, §11.7-11.8). A transport
/// whose stream can receive into a buffer of the caller's choosing lets large Data-In skip the pipe (direct receive).
/// </summary>
public class StreamInitiatorDataMover : StreamDataMover, IInitiatorDataMover
{
    /// <summary>Data-In segments from this size up are received straight into the task's buffer when the stream can.</summary>
    private const int DirectDataInMinimum = 16 * 1024;

    private readonly Lock _solicitedLock = new();
    private readonly Queue<SolicitedData> _solicited = new();
    private int _solicitedCount;
    private IInitiatorDataMoverHandler? _handler;
    private DirectDataIn _direct;

    public StreamInitiatorDataMover(IDuplexPipe pipe, string kind, string peerAddress, string remoteName)
        : base(pipe, kind, peerAddress, remoteName)
    {
    }

    public bool HasSolicitedData => Volatile.Read(ref _solicitedCount) > 0;

    /// <summary>Whether the stream can receive the rest of a PDU straight into a buffer (<see cref="ReceiveDirectAsync"/>).</summary>
    protected virtual bool CanReceiveDirect => false;

    public Task<DataMoverReceiveEnd> RunAsync(IInitiatorDataMoverHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _handler = handler;
        return ReceiveAsync(cancellationToken);
    }

    private protected override ValueTask<bool> DispatchAsync(PduReadResult status, PduFrame frame)
    {
        IInitiatorDataMoverHandler handler = _handler!;
        if (status != PduReadResult.Complete)
        {
            return handler.OnFramingErrorAsync(status, frame);
        }
        if (FullFeature)
        {
            switch (frame.Opcode)
            {
                case IscsiOpcode.DataIn:
                    ReceiveDataIn(handler, frame);
                    return new ValueTask<bool>(true);
                case IscsiOpcode.ReadyToTransfer:
                    ReceiveR2T(handler, frame.Header);
                    return new ValueTask<bool>(true);
            }
        }
        return handler.OnControlAsync(frame);
    }

    private protected override void OnReceiveIdle(bool moreReady) => _handler!.OnReceiveIdle(moreReady);

    private protected override bool BeforeWait() => BeforeWait(_handler!.ExpectsLoneAnswer);

    private protected override void AfterWaitStarted(bool polling, bool completedAtOnce)
    {
        if (polling)
        {
            OnPollResult(completedAtOnce);
        }
    }

    private protected override void OnReceiveBatchStart() => _handler!.OnReceiveBatchStart();

    private protected override void OnReceiveBatchEnd() => _handler!.OnReceiveBatchEnd();

    /// <summary>
    /// Just before the receive side sleeps waiting for input; true when the stream was told to poll first (for an
    /// answer expected alone and soon: <paramref name="loneAnswer"/>).
    /// </summary>
    protected virtual bool BeforeWait(bool loneAnswer) => false;

    /// <summary>After a wait that polled: whether the poll found the input (polling movers back off when it does not).</summary>
    protected virtual void OnPollResult(bool found)
    {
    }

    /// <summary>Receives the next bytes of the stream into <paramref name="buffer"/>; 0 when the peer has closed it.</summary>
    protected virtual ValueTask<int> ReceiveDirectAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This stream cannot receive directly.");

    /// <summary>A direct receive finished; the next PDU's header is <paramref name="nextHeaderLength"/> bytes.</summary>
    protected virtual void OnDirectReceiveCompleted(int nextHeaderLength)
    {
    }

    /// <summary>SCSI Data-In (RFC 7143 §11.7): placed by its buffer offset; status may ride on it.</summary>
    private static void ReceiveDataIn(IInitiatorDataMoverHandler handler, in PduFrame frame)
    {
        var pdu = DataInPdu.Parse(frame.Header);
        DataTask? task = handler.OnDataIn(pdu);
        if (task is null)
        {
            return; // a task no longer tracked (aborted, or from before a re-issue)
        }
        ThrowIfOutside(task, pdu.BufferOffset, pdu.DataSegmentLength);
        frame.Data.CopyTo(task.DataBuffer.Span.Slice((int)pdu.BufferOffset, pdu.DataSegmentLength));
        handler.OnDataInPlaced(task, pdu);
    }

    private static void ThrowIfOutside(DataTask task, uint offset, int length)
    {
        if ((long)offset + length > task.DataBuffer.Length)
        {
            throw new DataMoverProtocolException($"Data-In at offset {offset} length {length} exceeds the expected length {task.DataBuffer.Length}.");
        }
    }

    /// <summary>R2T (RFC 7143 §11.8): queues one Data-Out sequence for the sender.</summary>
    private void ReceiveR2T(IInitiatorDataMoverHandler handler, ReadOnlySpan<byte> header)
    {
        var pdu = ReadyToTransferPdu.Parse(header);
        DataTask? task = handler.OnR2T(pdu);
        if (task is null)
        {
            return;
        }
        long end = (long)pdu.BufferOffset + pdu.DesiredDataTransferLength;
        if (pdu.DesiredDataTransferLength == 0 || end > task.WriteData.Length || pdu.TargetTransferTag == Bhs.ReservedTag)
        {
            throw new DataMoverProtocolException($"R2T for offset {pdu.BufferOffset} length {pdu.DesiredDataTransferLength} does not fit the write of {task.WriteData.Length} bytes.");
        }
        lock (_solicitedLock)
        {
            _solicited.Enqueue(new SolicitedData(task, task.TransferId, pdu.TargetTransferTag, (int)pdu.BufferOffset, (int)pdu.DesiredDataTransferLength));
            _solicitedCount = _solicited.Count;
        }
        handler.OnSolicitedDataQueued();
    }

    public int SendCommand(Span<byte> header, DataTask task, uint expStatSN)
    {
        DataMoverParameters p = Parameters;
        ReadOnlySpan<byte> data = task.WriteData.Span;
        int expected = data.Length;

        // RFC 7143 §13.11, §13.14: immediate data within FirstBurstLength and the target's MaxRecvDataSegmentLength.
        int immediate = expected > 0 && p.ImmediateData ? Math.Min(expected, Math.Min(p.FirstBurstLength, p.PeerMaxRecvDataSegmentLength)) : 0;

        // §13.10: with InitialR2T=No, unsolicited Data-Out follows up to FirstBurstLength; F ends the unsolicited part.
        int unsolicitedEnd = expected > 0 && !p.InitialR2T ? Math.Max(immediate, Math.Min(expected, p.FirstBurstLength)) : immediate;
        Bhs.SetDataSegmentLength(header, immediate);
        Bhs.SetFinal(header, unsolicitedEnd == immediate);
        WriteData(header, data[..immediate]);
        int written = immediate;
        if (unsolicitedEnd > immediate)
        {
            written += WriteDataOut(task, expStatSN, Bhs.ReservedTag, immediate, unsolicitedEnd);
        }
        return written;
    }

    public int SendSolicitedData(uint expStatSN)
    {
        while (true)
        {
            SolicitedData next;
            lock (_solicitedLock)
            {
                if (!_solicited.TryDequeue(out next))
                {
                    return 0;
                }
                _solicitedCount = _solicited.Count;
            }
            if (!next.Task.IsCurrentTransfer(next.TransferId))
            {
                continue; // finished, aborted or re-issued meanwhile
            }
            return WriteDataOut(next.Task, expStatSN, next.TargetTransferTag, next.Offset, next.Offset + next.Length);
        }
    }

    /// <summary>One Data-Out sequence (RFC 7143 §11.7): [start, end) within the target's MaxRecvDataSegmentLength, DataSN from 0, F on the last.</summary>
    private int WriteDataOut(DataTask task, uint expStatSN, uint targetTransferTag, int start, int end)
    {
        Span<byte> header = stackalloc byte[Bhs.Length];
        ReadOnlySpan<byte> data = task.WriteData.Span;
        var segments = new DataSegmenter(start, end, Parameters.PeerMaxRecvDataSegmentLength, burstLength: end - start);
        while (segments.Next(out DataSegment segment))
        {
            new DataOutPdu
            {
                Final = segment.Final,
                DataSegmentLength = segment.Length,
                Lun = task.LunField,
                InitiatorTaskTag = task.InitiatorTaskTag,
                TargetTransferTag = targetTransferTag,
                ExpStatSN = expStatSN,
                DataSN = segment.DataSN,
                BufferOffset = (uint)segment.Offset,
            }.WriteTo(header);
            WriteData(header, data.Slice(segment.Offset, segment.Length));
        }
        return end - start;
    }

    /// <summary>
    /// For an incomplete large Data-In (no data digest) of a task we track: takes its header, copies the data already
    /// buffered into the task's buffer and says the rest is to be received directly, which saves copying the bulk of a
    /// read out of the pipe. Anything unusual is left to the normal path.
    /// </summary>
    private protected override bool TryBeginDirectReceive(in ReadOnlySequence<byte> buffer)
    {
        bool headerDigest = Parameters.HeaderDigest;
        int headerLength = Bhs.Length + (headerDigest ? Crc32C.DigestLength : 0);
        if (!CanReceiveDirect || Parameters.DataDigest || buffer.Length < headerLength)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[Bhs.Length + Crc32C.DigestLength];
        buffer.Slice(0, headerLength).CopyTo(header);
        int dataLength = Bhs.GetDataSegmentLength(header);
        long available = buffer.Length - headerLength;
        if (Bhs.GetOpcode(header) != IscsiOpcode.DataIn || Bhs.GetTotalAhsLength(header) != 0
            || dataLength < DirectDataInMinimum || dataLength > Parameters.MaxRecvDataSegmentLength
            || dataLength % 4 != 0 || available >= dataLength)
        {
            return false;
        }
        if (headerDigest && Crc32C.Compute(header[..Bhs.Length]) != Crc32C.Read(header[Bhs.Length..]))
        {
            return false; // the normal path reports the digest error
        }

        var pdu = DataInPdu.Parse(header);
        DataTask? task = _handler!.OnDataIn(pdu);
        if (task is null || (long)pdu.BufferOffset + dataLength > task.DataBuffer.Length)
        {
            return false; // the normal path drops its data, or reports the protocol error
        }

        buffer.Slice(headerLength).CopyTo(task.DataBuffer.Span.Slice((int)pdu.BufferOffset, (int)available));
        _direct = new DirectDataIn(task, pdu, (int)available);
        return true;
    }

    /// <summary>Receives the rest of a direct Data-In into its task's buffer, then finishes it like any other.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private protected override async ValueTask CompleteDirectReceiveAsync(CancellationToken cancellationToken)
    {
        DirectDataIn direct = _direct;
        _direct = default;
        DataTask task = direct.Task!;
        Memory<byte> rest = task.DataBuffer.Slice((int)direct.Pdu.BufferOffset + direct.Received, direct.Pdu.DataSegmentLength - direct.Received);
        while (!rest.IsEmpty)
        {
            int n = await ReceiveDirectAsync(rest, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException("The target closed the connection.");
            }
            rest = rest[n..];
        }

        IInitiatorDataMoverHandler handler = _handler!;
        handler.OnReceiveBatchStart();
        try
        {
            handler.OnDataInPlaced(task, direct.Pdu);
        }
        finally
        {
            handler.OnReceiveBatchEnd();
        }

        // Large reads come in runs: the next PDU is most likely another large Data-In, whose data can go the same way.
        OnDirectReceiveCompleted(Bhs.Length + (Parameters.HeaderDigest ? Crc32C.DigestLength : 0));
    }

    /// <summary>A Data-In whose header and first bytes came through the pipe and whose rest comes straight from the stream.</summary>
    private readonly record struct DirectDataIn(DataTask? Task, DataInPdu Pdu, int Received);

    /// <summary>An R2T's request: one Data-Out sequence of an issue of a task.</summary>
    private readonly record struct SolicitedData(DataTask Task, long TransferId, uint TargetTransferTag, int Offset, int Length);
}
