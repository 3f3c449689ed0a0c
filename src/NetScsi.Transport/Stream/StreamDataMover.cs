using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using NetScsi.Iscsi.Pdus;

namespace NetScsi.Transport;

/// <summary>
/// iSCSI over a reliable, ordered byte stream (RFC 7143 on TCP; the in-memory pipes; raw Ethernet's connections):
/// PDUs framed in place from an <see cref="IDuplexPipe"/>'s input, written header and data together to its output.
/// The part both sides share; <see cref="StreamTargetDataMover"/> and <see cref="StreamInitiatorDataMover"/> add
/// their data operations, and a transport adds what its stream does better by overriding their hooks.
/// </summary>
public abstract class StreamDataMover : IDataMoverConnection
{
    /// <summary>Flush at least this often while a large transfer is written, so it does not pile up in the pipe.</summary>
    private protected const int FlushThreshold = 256 * 1024;

    private long _receiveCount;
    private long _sendCount;
    private int _terminated;

    /// <summary>The token a flush was last asked to honour; it cancels pending flushes through one registration.</summary>
    private CancellationToken _flushToken;

    private protected StreamDataMover(IDuplexPipe pipe, string kind, string peerAddress, string remoteName)
    {
        ArgumentNullException.ThrowIfNull(pipe);
        Input = pipe.Input;
        Output = pipe.Output;
        Kind = kind;
        PeerAddress = peerAddress;
        RemoteName = remoteName;
    }

    public string Kind { get; }

    public string PeerAddress { get; }

    public string RemoteName { get; }

    public virtual DataMoverCapabilities Capabilities => DataMoverCapabilities.Stream;

    public virtual DataBufferPool BufferPool => DataBufferPool.Shared;

    public long ReceiveCount => Volatile.Read(ref _receiveCount);

    public long SendCount => Volatile.Read(ref _sendCount);

    /// <summary>The stream's input: PDUs are framed straight out of it.</summary>
    protected PipeReader Input { get; }

    /// <summary>The stream's output: every PDU is written into it.</summary>
    protected PipeWriter Output { get; }

    /// <summary>What the login negotiated (login's own values until <see cref="EnableDatamover"/>).</summary>
    protected DataMoverParameters Parameters { get; private set; } = new();

    /// <summary>True once <see cref="EnableDatamover"/> has been called: data PDUs are the mover's from then on.</summary>
    protected bool FullFeature { get; private set; }

    /// <summary>True once <see cref="Terminate"/> or <see cref="DisposeAsync"/> ended the connection.</summary>
    protected bool IsTerminated => Volatile.Read(ref _terminated) != 0;

    public void SendControl(ReadOnlySpan<byte> header, ReadOnlySpan<byte> data) =>
        PduWriter.Write(Output, header, data, Parameters.HeaderDigest, Parameters.DataDigest);

    /// <inheritdoc/>
    /// <remarks>
    /// A token is registered once, not per flush (a per-call registration is a real cost on the per-I/O path): when it
    /// is cancelled, a waiting flush is cancelled and returns false.
    /// </remarks>
    public ValueTask<bool> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.CanBeCanceled && cancellationToken != _flushToken)
        {
            _flushToken = cancellationToken;
            cancellationToken.UnsafeRegister(static state => ((StreamDataMover)state!).Output.CancelPendingFlush(), this);
        }
        ValueTask<FlushResult> flush = Output.FlushAsync();
        if (flush.IsCompletedSuccessfully)
        {
            FlushResult result = flush.Result;
            CountSend();
            return new ValueTask<bool>(!(result.IsCompleted || result.IsCanceled));
        }
        return AwaitFlushAsync(flush);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> AwaitFlushAsync(ValueTask<FlushResult> flush)
    {
        FlushResult result = await flush.ConfigureAwait(false);
        CountSend();
        return !(result.IsCompleted || result.IsCanceled);
    }

    /// <summary>One more send went out (or, sending from storage, the one before it did and the next starts).</summary>
    private protected void CountSend() => Volatile.Write(ref _sendCount, _sendCount + 1);

    public virtual void EnableDatamover(in DataMoverParameters parameters, IReadOnlyList<KeyValuePair<string, string>> negotiated)
    {
        Parameters = parameters;
        FullFeature = true;
    }

    /// <inheritdoc/>
    /// <remarks>Wakes a waiting read and flush, then ends the stream itself (<see cref="AbortStream"/>).</remarks>
    public void Terminate()
    {
        if (Interlocked.Exchange(ref _terminated, 1) != 0)
        {
            return;
        }
        Input.CancelPendingRead();
        Output.CancelPendingFlush();
        AbortStream();
    }

    /// <summary>
    /// Connection_Terminate on the stream under the pipes: by default both pipes end (the peer sees end of stream
    /// after what was flushed); a transport with a socket closes the socket instead, which is safe while the loops
    /// still use the pipes.
    /// </summary>
    protected virtual void AbortStream()
    {
        Input.Complete();
        Output.Complete();
    }

    /// <summary>Orderly close: what was flushed reaches the peer, then end of stream. Terminate after it does nothing.</summary>
    public ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _terminated, 1);
        return CloseStreamAsync();
    }

    /// <summary>The orderly close of the stream under the pipes: by default both pipes end.</summary>
    protected virtual ValueTask CloseStreamAsync()
    {
        Input.Complete();
        Output.Complete();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The receive loop both sides share: takes what the input holds, frames every PDU in it with the current
    /// settings (login's until Enable_Datamover), hands each to <see cref="DispatchAsync"/>, and ends when the peer
    /// closes, a dispatch says stop, or the connection is terminated.
    /// </summary>
    private protected async Task<DataMoverReceiveEnd> ReceiveAsync(CancellationToken cancellationToken)
    {
        // One registration for the whole loop: reads themselves take no token (a registration per read costs).
        using CancellationTokenRegistration cancellation = cancellationToken.UnsafeRegister(static state => ((StreamDataMover)state!).Input.CancelPendingRead(), this);
        try
        {
            while (true)
            {
                bool ready = Input.TryRead(out ReadResult result);
                OnReceiveIdle(ready);
                if (!ready)
                {
                    bool polling = BeforeWait();
                    ValueTask<ReadResult> read = Input.ReadAsync();
                    AfterWaitStarted(polling, read.IsCompleted);
                    result = await read.ConfigureAwait(false);
                }

                Volatile.Write(ref _receiveCount, _receiveCount + 1);
                ReadOnlySequence<byte> buffer = result.Buffer;
                bool stop = false;
                bool direct = false;
                OnReceiveBatchStart();
                try
                {
                    while (!stop)
                    {
                        DataMoverParameters p = Parameters;
                        PduReadResult status = PduReader.TryRead(buffer, p.MaxRecvDataSegmentLength, p.HeaderDigest, p.DataDigest, out PduFrame frame);
                        if (status == PduReadResult.Incomplete)
                        {
                            if (!result.IsCompleted && FullFeature && TryBeginDirectReceive(buffer))
                            {
                                direct = true;
                                buffer = buffer.Slice(buffer.End); // all taken; the rest comes straight from the stream
                            }
                            break;
                        }

                        stop = !await DispatchAsync(status, frame).ConfigureAwait(false);
                        if (status is PduReadResult.Complete or PduReadResult.DataDigestError)
                        {
                            buffer = buffer.Slice(frame.WireLength);
                        }
                        else
                        {
                            // A header digest error or an oversized segment: the PDU boundaries are lost.
                            stop = true;
                        }
                    }
                }
                finally
                {
                    OnReceiveBatchEnd();
                    Input.AdvanceTo(buffer.Start, buffer.End);
                }

                if (direct)
                {
                    await CompleteDirectReceiveAsync(cancellationToken).ConfigureAwait(false);
                }

                if (stop)
                {
                    return DataMoverReceiveEnd.Stopped;
                }
                if (result.IsCanceled || IsTerminated || cancellationToken.IsCancellationRequested)
                {
                    return DataMoverReceiveEnd.Canceled;
                }
                if (result.IsCompleted)
                {
                    return DataMoverReceiveEnd.PeerClosed;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return DataMoverReceiveEnd.Canceled;
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException && IsTerminated)
        {
            // The pipes were completed under the loop by Terminate.
            return DataMoverReceiveEnd.Canceled;
        }
    }

    /// <summary>One framed PDU (or a framing error); false ends the receive side.</summary>
    private protected abstract ValueTask<bool> DispatchAsync(PduReadResult status, PduFrame frame);

    /// <summary>Before each look at the input; <paramref name="moreReady"/>: input is already there.</summary>
    private protected virtual void OnReceiveIdle(bool moreReady)
    {
    }

    /// <summary>Just before the loop waits for input; true when the wait polls first.</summary>
    private protected virtual bool BeforeWait() => false;

    /// <summary>The wait started; <paramref name="completedAtOnce"/>: input was there without sleeping.</summary>
    private protected virtual void AfterWaitStarted(bool polling, bool completedAtOnce)
    {
    }

    private protected virtual void OnReceiveBatchStart()
    {
    }

    private protected virtual void OnReceiveBatchEnd()
    {
    }

    /// <summary>
    /// For an incomplete PDU at the end of the input: takes all of it and says its rest will be received straight
    /// from the stream by <see cref="CompleteDirectReceiveAsync"/>. False leaves it to the pipe.
    /// </summary>
    private protected virtual bool TryBeginDirectReceive(in ReadOnlySequence<byte> buffer) => false;

    private protected virtual ValueTask CompleteDirectReceiveAsync(CancellationToken cancellationToken) => default;

    /// <summary>Writes data PDUs' data: the bytes, their padding and (if negotiated) data digest.</summary>
    private protected void WriteData(ReadOnlySpan<byte> header, ReadOnlySpan<byte> data) =>
        PduWriter.Write(Output, header, data, Parameters.HeaderDigest, Parameters.DataDigest);
}
