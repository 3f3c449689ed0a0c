using System.Buffers;
using System.Diagnostics;

namespace NetScsi.Messaging;

/// <summary>
/// A non-blocking operation in progress (MPI_Request), returned by <see cref="Communicator.Isend{T}"/> and
/// <see cref="Communicator.Irecv{T}"/>. Completing it (<see cref="Wait"/>, a true <see cref="Test"/>,
/// <see cref="WaitAll"/>, <see cref="WaitAny"/>) frees it: a request is completed once, like MPI's, after which
/// it is <see cref="IsNull"/>-like and using it again throws.
/// </summary>
public readonly struct Request
{
    private readonly RequestState? _state;
    private readonly int _generation;

    internal Request(RequestState state)
    {
        _state = state;
        _generation = state.Generation;
    }

    /// <summary>True for the default request (MPI_REQUEST_NULL), which is complete.</summary>
    public bool IsNull => _state is null;

    private RequestState State =>
        _state is not null && _state.Generation == _generation
            ? _state
            : throw new InvalidOperationException("The request was already completed.");

    /// <summary>Blocks until the operation completes; returns its status; throws its error.</summary>
    public Status Wait()
    {
        if (_state is null)
        {
            return default;
        }
        RequestState state = State;
        state.WaitDone();
        return state.Finish();
    }

    /// <summary>True (and the request freed) when the operation has completed; throws its error.</summary>
    public bool Test(out Status status)
    {
        status = default;
        if (_state is null)
        {
            return true;
        }
        RequestState state = State;
        if (!state.IsDone)
        {
            return false;
        }
        status = state.Finish();
        return true;
    }

    /// <summary>Waits for every request (MPI_Waitall); the first error is thrown after all have completed.</summary>
    public static void WaitAll(ReadOnlySpan<Request> requests)
    {
        Exception? first = null;
        foreach (Request request in requests)
        {
            try
            {
                request.Wait();
            }
            catch (Exception e) when (e is MessagingException)
            {
                first ??= e;
            }
        }
        if (first is not null)
        {
            throw first;
        }
    }

    /// <summary>
    /// Waits until one of the requests completes (MPI_Waitany); returns its index, frees it and sets
    /// <paramref name="status"/>. The caller replaces the entry (with <c>default</c>) before calling again; -1 when
    /// every request is null.
    /// </summary>
    public static int WaitAny(ReadOnlySpan<Request> requests, out Status status)
    {
        status = default;
        var spin = new SpinWait();
        while (true)
        {
            bool any = false;
            for (int i = 0; i < requests.Length; i++)
            {
                if (requests[i].IsNull)
                {
                    continue;
                }
                any = true;
                if (requests[i].Test(out status))
                {
                    return i;
                }
            }
            if (!any)
            {
                return -1;
            }
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }
}

/// <summary>Which way a request moves data.</summary>
internal enum RequestKind
{
    Send,
    Receive,
}

/// <summary>
/// The pooled state of one point-to-point operation: its buffer, its envelope fields, its place in the matching
/// lists or a peer's work queue, and its completion. Reused across messages (<see cref="Generation"/> tells uses apart).
/// </summary>
internal sealed class RequestState
{
    private readonly ManualResetEventSlim _done = new(false, 0);
    private volatile bool _isDone;
    private MemoryHandle _pin;
    private bool _pinned;

    public RequestState(MessagingWorld world) => World = world;

    public MessagingWorld World { get; }

    public int Generation { get; private set; }

    public RequestKind Kind { get; set; }

    public PointerMemory Buffer { get; } = new();

    public int Context { get; set; }

    /// <summary>Send: the destination's world rank; receive: the source's world rank or <see cref="Communicator.AnySource"/>.</summary>
    public int Peer { get; set; }

    public int Tag { get; set; }

    /// <summary>World rank → communicator rank, for the status.</summary>
    public Communicator? Communicator { get; set; }

    // ---- outcome ----
    public int StatusSource { get; set; }

    public int StatusTag { get; set; }

    public int StatusBytes { get; set; }

    public Exception? Error { get; set; }

    // ---- matching list (posted receives) ----
    public RequestState? Previous { get; set; }

    public RequestState? Next { get; set; }

    // ---- a peer's work queue ----
    public RequestState? NextWork { get; set; }

    /// <summary>Send: the envelope's sequence number.</summary>
    public uint Sequence { get; set; }

    /// <summary>Send: rendezvous (announce, then pulled). Receive: pulling.</summary>
    public bool Rendezvous { get; set; }

    /// <summary>Rendezvous send: its registration; rendezvous receive: the sender's.</summary>
    public uint Handle { get; set; }

    /// <summary>Rendezvous send: bytes the receiver has pulled so far.</summary>
    public long Served;

    /// <summary>Rendezvous receive: the next offset to ask for, the commands out and the bytes arrived.</summary>
    public int PullNext { get; set; }

    public int PullOutstanding;

    public long PullArrived;

    /// <summary>The message length a rendezvous receive pulls (its announced length).</summary>
    public int PullLength { get; set; }

    /// <summary>Work kind for the peer queue: a release to send for a truncated announcement.</summary>
    public bool SendsRelease { get; set; }

    public bool IsDone => _isDone;

    public unsafe void Prepare(RequestKind kind, byte* pointer, int length, int context, int peer, int tag, Communicator? communicator)
    {
        Kind = kind;
        Buffer.Set(pointer, length);
        Context = context;
        Peer = peer;
        Tag = tag;
        Communicator = communicator;
        StatusSource = StatusTag = StatusBytes = 0;
        Error = null;
        Previous = Next = NextWork = null;
        Rendezvous = false;
        SendsRelease = false;
        Served = 0;
        PullNext = PullOutstanding = PullLength = 0;
        PullArrived = 0;
        Handle = 0;
        _isDone = false;
        _done.Reset();
    }

    /// <summary>Keeps a <see cref="Memory{T}"/> pinned until the request is finished.</summary>
    public void HoldPin(MemoryHandle pin)
    {
        _pin = pin;
        _pinned = true;
    }

    /// <summary>Completes the operation (once; later calls are ignored). Called with the world's locks held or not.</summary>
    public void Complete(Exception? error = null)
    {
        if (_isDone)
        {
            return;
        }
        lock (_done)
        {
            if (_isDone)
            {
                return;
            }
            Error = error;
            _isDone = true;
        }
        _done.Set();
    }

    public void WaitDone()
    {
        if (_isDone)
        {
            return;
        }
        // Spin briefly: on a fast link the answer comes sooner than a sleep and a wake-up.
        long until = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 20_000);
        while (!_isDone && Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(20);
        }
        if (!_isDone)
        {
            _done.Wait();
        }
    }

    /// <summary>Waits at most <paramref name="timeout"/> (infinite: -1 ms); false on timeout.</summary>
    public bool WaitDone(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            WaitDone();
            return true;
        }
        return _isDone || _done.Wait(timeout);
    }

    /// <summary>Frees the request (back to the pool) and returns its status, or throws its error.</summary>
    public Status Finish()
    {
        Exception? error = Error;
        var status = new Status(StatusSource, StatusTag, StatusBytes);
        if (_pinned)
        {
            _pinned = false;
            _pin.Dispose();
            _pin = default;
        }
        Generation++;
        Communicator = null;
        Error = null;
        World.ReturnRequest(this);
        if (error is not null)
        {
            throw error is MessagingException ? new MessagingException(error.Message, error) : new MessagingException("The operation failed: " + error.Message, error);
        }
        return status;
    }
}
