using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace NetScsi.Transport.Tcp;

/// <summary>
/// The input pipe of an initiator's TCP connection: one contiguous buffer the socket is read into. A read first tries a
/// non-blocking recv(2) (<see cref="NonBlockingSocket"/>) and waits through the runtime's asynchronous
/// receive only when the kernel has nothing yet. Compared with a <see cref="StreamPipeReader"/> over a
/// <see cref="NetworkStream"/>, a read that finds data costs one system call and no asynchronous machinery.
/// </summary>
/// <remarks>
/// The consumer sees one segment. Unconsumed bytes move to the front when the free space runs short; when
/// a PDU does not fit, the buffer grows (from the shared pool); a grown buffer stays for the next large PDU,
/// up to 1 MiB, and beyond that goes back once drained. The consumer bounds it: it accepts PDUs up to its
/// MaxRecvDataSegmentLength.
/// </remarks>
internal sealed class SocketPipeReader : PipeReader
{
    /// <summary>A grown buffer up to this size stays for the next large PDU; a bigger one goes back once drained.</summary>
    private const int MaxKeptBufferSize = 1024 * 1024;

    private readonly Socket _socket;
    private readonly byte[] _ownBuffer;
    private readonly int _minimumReadSize;

    private byte[] _buffer;

    /// <summary>First byte not consumed yet.</summary>
    private int _start;

    /// <summary>End of what the consumer has examined: a read returns at once only with bytes beyond it.</summary>
    private int _examined;

    /// <summary>End of the bytes received.</summary>
    private int _end;

    private bool _endOfStream;
    private bool _completed;
    private bool _reading;
    private int _cancelRequested;
    private CancellationTokenSource _cancelSource = new();

    /// <summary>Most bytes the next read of the socket may take; 0 for no limit.</summary>
    private int _nextReadLimit;

    /// <summary>How long the next read polls before it waits (<see cref="Stopwatch"/> ticks); 0 for not at all.</summary>
    private long _pollTicks;

    public SocketPipeReader(Socket socket, int bufferSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 1024);
        _socket = socket;
        _ownBuffer = GC.AllocateUninitializedArray<byte>(bufferSize);
        _buffer = _ownBuffer;
        _minimumReadSize = Math.Min(64 * 1024, bufferSize / 4);
    }

    /// <summary>Makes the next read of the socket take at most <paramref name="length"/> bytes.</summary>
    public void LimitNextRead(int length) => _nextReadLimit = length;

    /// <summary>Makes the next read, if the socket has nothing yet, poll it for up to <paramref name="duration"/> before it waits.</summary>
    public void PollNextRead(TimeSpan duration) => _pollTicks = NonBlockingSocket.PollTicks(duration);

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfCompleted();
        long pollTicks = _pollTicks;
        _pollTicks = 0;
        if (TryReadNow(pollTicks, out ReadResult result, out Memory<byte> free))
        {
            return new ValueTask<ReadResult>(result);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return ReceiveAsync(free, cancellationToken);
    }

    /// <summary>Also tries the socket once, without waiting: a consumer that would otherwise wait learns whether it must.</summary>
    public override bool TryRead(out ReadResult result)
    {
        ThrowIfCompleted();
        return TryReadNow(0, out result, out _);
    }

    /// <summary>
    /// A read that does not wait: a pending cancellation, bytes the consumer has not examined, the end of the
    /// stream, or what one non-blocking receive (and the polls asked for) brings. Otherwise false, with the
    /// free space a waiting receive should fill.
    /// </summary>
    private bool TryReadNow(long pollTicks, out ReadResult result, out Memory<byte> free)
    {
        free = default;
        if (TakeCancelRequest())
        {
            result = Result(canceled: true);
            return true;
        }

        if (_end > _examined || _endOfStream)
        {
            result = Result(canceled: false);
            return true;
        }

        free = PrepareFreeSpace();
        if (SocketInterop.IsSupported)
        {
            int n = NonBlockingSocket.TryReceive(_socket, free.Span);
            if (n == NonBlockingSocket.WouldBlock && pollTicks > 0)
            {
                n = NonBlockingSocket.Poll(_socket, free.Span, pollTicks);
            }

            if (n != NonBlockingSocket.WouldBlock)
            {
                Received(n);
                result = Result(canceled: false);
                return true;
            }
        }

        result = default;
        return false;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> ReceiveAsync(Memory<byte> free, CancellationToken cancellationToken)
    {
        CancellationTokenSource? linked = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cancelSource.Token)
            : null;
        _reading = true;
        try
        {
            int n = await _socket.ReceiveAsync(free, SocketFlags.None, linked?.Token ?? _cancelSource.Token).ConfigureAwait(false);
            Received(n);
            return Result(canceled: TakeCancelRequest());
        }
        catch (OperationCanceledException) when (TakeCancelRequest())
        {
            // CancelPendingRead: nothing was received; the socket's receive was withdrawn.
            return Result(canceled: true);
        }
        catch (SocketException e)
        {
            // Like NetworkStream: consumers of a stream mover handle IOException.
            throw new IOException(e.Message, e);
        }
        finally
        {
            _reading = false;
            linked?.Dispose();
        }
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        ThrowIfCompleted();
        int consumedIndex = IndexOf(consumed);
        int examinedIndex = IndexOf(examined);
        if (consumedIndex < _start || examinedIndex < consumedIndex)
        {
            throw new InvalidOperationException("AdvanceTo went back: consumed must not precede the last consumed position, nor examined precede consumed.");
        }

        _start = consumedIndex;
        _examined = examinedIndex;
    }

    public override void CancelPendingRead()
    {
        Volatile.Write(ref _cancelRequested, 1);
        try
        {
            _cancelSource.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Replaced by the read that just returned cancelled; the flag alone cancels the next one.
        }
    }

    public override void Complete(Exception? exception = null)
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        if (!_reading)
        {
            // A receive still pending on the socket (the connection is being torn down) may yet write into
            // the buffer, so only an idle reader gives a pooled one back.
            ReturnGrownBuffer();
        }
    }

    /// <summary>Takes a CancelPendingRead request, if there is one, and readies a fresh token for the next wait.</summary>
    private bool TakeCancelRequest()
    {
        if (Interlocked.Exchange(ref _cancelRequested, 0) == 0)
        {
            return false;
        }

        if (_cancelSource.IsCancellationRequested)
        {
            _cancelSource.Dispose();
            _cancelSource = new CancellationTokenSource();
        }

        return true;
    }

    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw new InvalidOperationException("The reader was completed.");
        }
    }

    private int IndexOf(SequencePosition position)
    {
        int index = position.GetInteger();
        if (!ReferenceEquals(position.GetObject(), _buffer) || index > _end)
        {
            throw new InvalidOperationException("The position is not from this reader's last read.");
        }

        return index;
    }

    private ReadResult Result(bool canceled) =>
        new(new ReadOnlySequence<byte>(_buffer, _start, _end - _start), canceled, _endOfStream && !canceled);

    private void Received(int count)
    {
        if (count == 0)
        {
            _endOfStream = true;
        }
        else
        {
            _end += count;
        }

        _nextReadLimit = 0;
    }

    /// <summary>Free space after the received bytes for the next read of the socket, making room as needed.</summary>
    private Memory<byte> PrepareFreeSpace()
    {
        int unconsumed = _end - _start;
        if (unconsumed == 0)
        {
            if (_buffer.Length > MaxKeptBufferSize)
            {
                ReturnGrownBuffer();
            }

            _start = _examined = _end = 0;
        }
        else if (_buffer.Length - _end < _minimumReadSize)
        {
            byte[] target = _buffer;
            if (_buffer.Length - unconsumed < _minimumReadSize)
            {
                // The consumer holds a PDU the buffer cannot take with room to read: grow.
                target = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, unconsumed + _minimumReadSize));
            }

            Buffer.BlockCopy(_buffer, _start, target, 0, unconsumed);
            if (!ReferenceEquals(target, _buffer))
            {
                ReturnGrownBuffer();
                _buffer = target;
            }

            _examined -= _start;
            _end = unconsumed;
            _start = 0;
        }

        int length = _buffer.Length - _end;
        if (_nextReadLimit > 0)
        {
            length = Math.Min(length, _nextReadLimit); // lifted by the receive that brings data (Received)
        }

        return _buffer.AsMemory(_end, length);
    }

    private void ReturnGrownBuffer()
    {
        if (!ReferenceEquals(_buffer, _ownBuffer))
        {
            byte[] grown = _buffer;
            _buffer = _ownBuffer;
            ArrayPool<byte>.Shared.Return(grown);
        }
    }
}
