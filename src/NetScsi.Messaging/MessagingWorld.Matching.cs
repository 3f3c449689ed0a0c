namespace NetScsi.Messaging;

/// <summary>
/// Matching (MPI's semantics): posted receives in the order they were posted, unexpected messages in the order
/// their senders sent them. Each sender's messages carry a sequence number and are matched strictly in that order
/// (non-overtaking per source, tag and communicator), whatever order retries and concurrent commands bring them in:
/// one that arrives early waits in the sender's reorder list. Memory is bounded: every sender has
/// <see cref="MessagingWorldOptions.ReceiveSlotsPerPeer"/> slots (allocated once) for messages that found no receive
/// yet; a message beyond them is refused with TASK SET FULL and its sender retries. An early message may use all but
/// the last slot, which is kept for the message next in order, so the early ones can never block it.
/// </summary>
public sealed partial class MessagingWorld
{
    private readonly object _matchLock = new();
    private Arrival[] _arrivalStore = [];
    private readonly Stack<Arrival> _freeArrivals = new();
    private readonly Stack<Arrival> _freeSelfArrivals = new();
    private SourceState[] _sources = [];
    private RequestState? _postedHead;
    private RequestState? _postedTail;
    private Arrival? _unexpectedHead;
    private Arrival? _unexpectedTail;
    private int _probers;
    private long _malformed;

    // Registered rendezvous sends: the handle is (index << 12) | (generation & FFFh).
    private readonly object _registryLock = new();
    private readonly List<Registration> _registry = [];
    private readonly Stack<int> _freeRegistrations = new();

    /// <summary>Messages whose envelope could not be read (dropped).</summary>
    public long MalformedMessages => Interlocked.Read(ref _malformed);

    /// <summary>Unexpected messages held now (tests: the bound).</summary>
    public int UnexpectedHeld
    {
        get
        {
            lock (_matchLock)
            {
                int held = 0;
                foreach (SourceState source in _sources)
                {
                    held += source.Used;
                }
                return held;
            }
        }
    }

    private void InitializeMatching()
    {
        _sources = new SourceState[Size];
        for (int i = 0; i < Size; i++)
        {
            _sources[i] = new SourceState();
        }
        int slots = _options.ReceiveSlotsPerPeer * (Size - 1);
        _arrivalStore = new Arrival[slots];
        for (int i = 0; i < slots; i++)
        {
            _arrivalStore[i] = new Arrival(new byte[_options.EagerLimit]);
            _freeArrivals.Push(_arrivalStore[i]);
        }
    }

    // ---- sending ----

    /// <summary>Starts a send of the request's buffer to world rank <see cref="RequestState.Peer"/>.</summary>
    internal void StartSend(RequestState request)
    {
        if (_failure is Exception failure)
        {
            request.Complete(failure);
            return;
        }
        if (request.Peer == Rank)
        {
            SendToSelf(request);
            return;
        }
        PeerChannel channel = Channel(request.Peer);
        if (request.Buffer.Length > _options.EagerLimit)
        {
            request.Rendezvous = true;
            request.Handle = Register(request);
        }
        channel.Enqueue(request);
        channel.Pump();
        if (_failure is Exception late)
        {
            // Failed between the check and the queueing: Fail may have drained the queue before this request was in it.
            Fail(late);
            if (request.Rendezvous)
            {
                FailRegisteredSend(request, late);
            }
            else if (!request.IsDone && channel.DrainForFailure() is { } drained)
            {
                drained.Complete(late);
            }
        }
    }

    private void SendToSelf(RequestState send)
    {
        var envelope = new Envelope(EnvelopeKind.Eager, send.Context, Rank, send.Tag, send.Buffer.Length, 0, 0);
        lock (_matchLock)
        {
            if (FindPosted(envelope) is RequestState receive)
            {
                Unlink(receive);
                ConsumeFromSelf(receive, send);
                return;
            }
            if (!_freeSelfArrivals.TryPop(out Arrival? arrival))
            {
                arrival = new Arrival(null);
            }
            arrival.Envelope = envelope;
            arrival.SelfSend = send;
            AppendUnexpected(arrival);
        }
    }

    private void ConsumeFromSelf(RequestState receive, RequestState send)
    {
        int length = send.Buffer.Length;
        SetStatus(receive, Rank, send.Tag, length);
        if (length > receive.Buffer.Length)
        {
            receive.Complete(Truncated(length, receive.Buffer.Length));
        }
        else
        {
            send.Buffer.GetSpan().CopyTo(receive.Buffer.GetSpan());
            receive.Complete();
        }
        send.Complete();
    }

    // ---- receiving ----

    /// <summary>Matches a posted receive against the unexpected messages, or posts it.</summary>
    internal void PostReceive(RequestState receive)
    {
        PeerChannel? pump = null;
        lock (_matchLock)
        {
            if (_failure is Exception failure)
            {
                receive.Complete(failure);
                return;
            }
            for (Arrival? arrival = _unexpectedHead; arrival is not null; arrival = arrival.Next)
            {
                if (!Matches(receive, arrival.Envelope))
                {
                    continue;
                }
                UnlinkUnexpected(arrival);
                if (arrival.SelfSend is RequestState send)
                {
                    arrival.SelfSend = null;
                    _freeSelfArrivals.Push(arrival);
                    ConsumeFromSelf(receive, send);
                    return;
                }
                _sources[arrival.Envelope.Source].Used--;
                pump = Consume(receive, arrival.Envelope, arrival.Data.AsSpan(0, arrival.Envelope.Kind == EnvelopeKind.Eager ? arrival.Envelope.Length : 0));
                _freeArrivals.Push(arrival);
                break;
            }
            if (pump is null && !receive.IsDone && receive.Rendezvous == false)
            {
                receive.Previous = _postedTail;
                receive.Next = null;
                if (_postedTail is null)
                {
                    _postedHead = receive;
                }
                else
                {
                    _postedTail.Next = receive;
                }
                _postedTail = receive;
            }
        }
        pump?.Pump();
    }

    /// <summary>Blocks until a message matching source and tag (world rank or any; tag or any) is unexpected here; its status.</summary>
    internal bool TryProbe(int context, int source, int tag, bool block, out Envelope found)
    {
        lock (_matchLock)
        {
            _probers++;
            try
            {
                while (true)
                {
                    ThrowIfFailed();
                    for (Arrival? arrival = _unexpectedHead; arrival is not null; arrival = arrival.Next)
                    {
                        Envelope e = arrival.Envelope;
                        if (e.Context == context && (source == Communicator.AnySource || source == e.Source) && (tag == Communicator.AnyTag || tag == e.Tag))
                        {
                            found = e;
                            return true;
                        }
                    }
                    if (!block)
                    {
                        found = default;
                        return false;
                    }
                    Monitor.Wait(_matchLock, 100);
                }
            }
            finally
            {
                _probers--;
            }
        }
    }

    /// <summary>A SEND MESSAGE(10) of the message stream arrived (the target's command path). False: no room, TASK SET FULL.</summary>
    private bool Deliver(ReadOnlySpan<byte> message)
    {
        if (!Envelope.TryRead(message, out Envelope envelope)
            || envelope.Source >= Size || envelope.Source == Rank
            || (envelope.Kind == EnvelopeKind.Eager && (envelope.Length != message.Length - Envelope.Size || envelope.Length > _options.EagerLimit)))
        {
            Interlocked.Increment(ref _malformed);
            return true;
        }
        if (envelope.Kind == EnvelopeKind.Release)
        {
            ReleaseRegistered(envelope.Handle);
            return true;
        }
        ReadOnlySpan<byte> payload = envelope.Kind == EnvelopeKind.Eager ? message.Slice(Envelope.Size, envelope.Length) : default;
        PeerChannel? pump = null;
        lock (_matchLock)
        {
            if (_failure is not null)
            {
                return true;
            }
            SourceState source = _sources[envelope.Source];
            int ahead = (int)(envelope.Sequence - source.Expected);
            if (ahead < 0)
            {
                return true;
            }
            if (ahead > 0)
            {
                // Early (a retry reordered it): held until the ones before it are in, in all but the last slot.
                if (source.Used >= _options.ReceiveSlotsPerPeer - 1 || !_freeArrivals.TryPop(out Arrival? early))
                {
                    return false;
                }
                Store(early, envelope, payload);
                source.Used++;
                InsertReorder(source, early);
                return true;
            }
            if (!Process(envelope, payload, null, ref pump))
            {
                return false;
            }
            source.Expected++;
            while (source.Reorder is Arrival next && next.Envelope.Sequence == source.Expected)
            {
                source.Reorder = next.Next;
                next.Next = null;
                Process(next.Envelope, next.Data.AsSpan(0, next.Envelope.Kind == EnvelopeKind.Eager ? next.Envelope.Length : 0), next, ref pump);
                source.Expected++;
            }
        }
        pump?.Pump();
        return true;
    }

    /// <summary>An in-order message: to the first matching posted receive, else held as unexpected. False: no slot.</summary>
    private bool Process(Envelope envelope, ReadOnlySpan<byte> payload, Arrival? held, ref PeerChannel? pump)
    {
        if (FindPosted(envelope) is RequestState receive)
        {
            Unlink(receive);
            pump = Consume(receive, envelope, payload) ?? pump;
            if (held is not null)
            {
                _sources[envelope.Source].Used--;
                _freeArrivals.Push(held);
            }
            return true;
        }
        if (held is null)
        {
            SourceState source = _sources[envelope.Source];
            if (source.Used >= _options.ReceiveSlotsPerPeer || !_freeArrivals.TryPop(out held))
            {
                return false;
            }
            Store(held, envelope, payload);
            source.Used++;
        }
        AppendUnexpected(held);
        return true;
    }

    /// <summary>Gives a matched message to its receive; returns the channel to pump when a pull was queued.</summary>
    private PeerChannel? Consume(RequestState receive, Envelope envelope, ReadOnlySpan<byte> payload)
    {
        SetStatus(receive, envelope.Source, envelope.Tag, envelope.Length);
        if (envelope.Length > receive.Buffer.Length)
        {
            receive.Complete(Truncated(envelope.Length, receive.Buffer.Length));
            if (envelope.Kind == EnvelopeKind.Announce)
            {
                PeerChannel sender = Channel(envelope.Source);
                sender.QueueRelease(envelope.Handle);
                return sender;
            }
            return null;
        }
        if (envelope.Kind == EnvelopeKind.Eager)
        {
            payload.CopyTo(receive.Buffer.GetSpan());
            receive.Complete();
            return null;
        }
        // Rendezvous: pull the announced data straight into the receive buffer.
        receive.Rendezvous = true;
        receive.Handle = envelope.Handle;
        receive.PullLength = envelope.Length;
        receive.PullNext = 0;
        PeerChannel channel = Channel(envelope.Source);
        channel.Enqueue(receive);
        return channel;
    }

    private static void SetStatus(RequestState receive, int worldSource, int tag, int length)
    {
        receive.StatusSource = receive.Communicator?.RankOfWorld(worldSource) ?? worldSource;
        receive.StatusTag = tag;
        receive.StatusBytes = length;
    }

    private static MessagingException Truncated(int length, int capacity) =>
        new($"message truncated: {length} bytes arrived for a {capacity}-byte receive buffer (MPI_ERR_TRUNCATE)");

    private static bool Matches(RequestState receive, Envelope envelope) =>
        receive.Context == envelope.Context
        && (receive.Peer == Communicator.AnySource || receive.Peer == envelope.Source)
        && (receive.Tag == Communicator.AnyTag || receive.Tag == envelope.Tag);

    private RequestState? FindPosted(Envelope envelope)
    {
        for (RequestState? receive = _postedHead; receive is not null; receive = receive.Next)
        {
            if (Matches(receive, envelope))
            {
                return receive;
            }
        }
        return null;
    }

    private void Unlink(RequestState receive)
    {
        if (receive.Previous is null)
        {
            _postedHead = receive.Next;
        }
        else
        {
            receive.Previous.Next = receive.Next;
        }
        if (receive.Next is null)
        {
            _postedTail = receive.Previous;
        }
        else
        {
            receive.Next.Previous = receive.Previous;
        }
        receive.Previous = receive.Next = null;
    }

    private static void Store(Arrival arrival, Envelope envelope, ReadOnlySpan<byte> payload)
    {
        arrival.Envelope = envelope;
        payload.CopyTo(arrival.Data);
    }

    private static void InsertReorder(SourceState source, Arrival arrival)
    {
        Arrival? previous = null;
        Arrival? current = source.Reorder;
        while (current is not null && (int)(current.Envelope.Sequence - arrival.Envelope.Sequence) < 0)
        {
            previous = current;
            current = current.Next;
        }
        arrival.Next = current;
        if (previous is null)
        {
            source.Reorder = arrival;
        }
        else
        {
            previous.Next = arrival;
        }
    }

    private void AppendUnexpected(Arrival arrival)
    {
        arrival.Next = null;
        arrival.Previous = _unexpectedTail;
        if (_unexpectedTail is null)
        {
            _unexpectedHead = arrival;
        }
        else
        {
            _unexpectedTail.Next = arrival;
        }
        _unexpectedTail = arrival;
        if (_probers > 0)
        {
            Monitor.PulseAll(_matchLock);
        }
    }

    private void UnlinkUnexpected(Arrival arrival)
    {
        if (arrival.Previous is null)
        {
            _unexpectedHead = arrival.Next;
        }
        else
        {
            arrival.Previous.Next = arrival.Next;
        }
        if (arrival.Next is null)
        {
            _unexpectedTail = arrival.Previous;
        }
        else
        {
            arrival.Next.Previous = arrival.Previous;
        }
        arrival.Previous = arrival.Next = null;
    }

    private void FailMatchingLocked(Exception cause)
    {
        for (RequestState? receive = _postedHead; receive is not null;)
        {
            RequestState? next = receive.Next;
            receive.Previous = receive.Next = null;
            receive.Complete(cause);
            receive = next;
        }
        _postedHead = _postedTail = null;
        for (Arrival? arrival = _unexpectedHead; arrival is not null; arrival = arrival.Next)
        {
            arrival.SelfSend?.Complete(cause);
        }
        Monitor.PulseAll(_matchLock);
    }

    // ---- registered rendezvous sends (the target's READ MESSAGE DATA) ----

    private uint Register(RequestState send)
    {
        lock (_registryLock)
        {
            int index;
            if (!_freeRegistrations.TryPop(out index))
            {
                index = _registry.Count;
                _registry.Add(new Registration());
            }
            Registration registration = _registry[index];
            registration.Send = send;
            registration.Generation = (registration.Generation + 1) & 0xFFF;
            return ((uint)index << 12) | (uint)registration.Generation;
        }
    }

    private Registration? Lookup(uint handle)
    {
        int index = (int)(handle >> 12);
        if (index >= _registry.Count)
        {
            return null;
        }
        Registration registration = _registry[index];
        return registration.Send is not null && registration.Generation == (int)(handle & 0xFFF) ? registration : null;
    }

    private unsafe bool ReadRegistered(uint handle, uint offset, Span<byte> destination)
    {
        RequestState send;
        Registration registration;
        lock (_registryLock)
        {
            if (Lookup(handle) is not Registration found || (long)offset + destination.Length > found.Send!.Buffer.Length)
            {
                return false;
            }
            registration = found;
            send = found.Send!;
            registration.Readers++;
        }
        new ReadOnlySpan<byte>(send.Buffer.Pointer + offset, destination.Length).CopyTo(destination);
        bool complete;
        lock (_registryLock)
        {
            registration.Readers--;
            send.Served += destination.Length;
            complete = send.Served == send.Buffer.Length;
            if (complete)
            {
                Unregister(handle, registration);
            }
        }
        if (complete)
        {
            send.Complete();
        }
        return true;
    }

    private void ReleaseRegistered(uint handle)
    {
        RequestState? send = null;
        lock (_registryLock)
        {
            if (Lookup(handle) is Registration registration && registration.Readers == 0)
            {
                send = registration.Send;
                Unregister(handle, registration);
            }
        }
        send?.Complete();
    }

    private void Unregister(uint handle, Registration registration)
    {
        registration.Send = null;
        _freeRegistrations.Push((int)(handle >> 12));
    }

    internal void FailRegisteredSend(RequestState send, Exception cause)
    {
        WaitReaders(send);
        send.Complete(cause);
    }

    private void FailRegisteredSends(Exception cause)
    {
        var sends = new List<RequestState>();
        lock (_registryLock)
        {
            foreach (Registration registration in _registry)
            {
                if (registration.Send is RequestState send)
                {
                    sends.Add(send);
                }
            }
        }
        foreach (RequestState send in sends)
        {
            FailRegisteredSend(send, cause);
        }
    }

    /// <summary>Unregisters a send and waits until no READ MESSAGE DATA still copies from its buffer.</summary>
    private void WaitReaders(RequestState send)
    {
        var spin = new SpinWait();
        while (true)
        {
            lock (_registryLock)
            {
                for (int i = 0; i < _registry.Count; i++)
                {
                    Registration registration = _registry[i];
                    if (registration.Send == send)
                    {
                        if (registration.Readers == 0)
                        {
                            registration.Send = null;
                            _freeRegistrations.Push(i);
                            return;
                        }
                        goto wait;
                    }
                }
                return;
            }
        wait:
            spin.SpinOnce();
        }
    }

    /// <summary>One message held before its receive was posted (or early, in its sender's reorder list).</summary>
    private sealed class Arrival(byte[]? data)
    {
        public byte[] Data { get; } = data ?? [];

        public Envelope Envelope { get; set; }

        /// <summary>A send to this rank itself, whose data stays in the sender's buffer until matched.</summary>
        public RequestState? SelfSend { get; set; }

        public Arrival? Previous { get; set; }

        public Arrival? Next { get; set; }
    }

    /// <summary>Per sender: the sequence number expected next, its early messages, and the slots it holds.</summary>
    private sealed class SourceState
    {
        public uint Expected { get; set; }

        public Arrival? Reorder { get; set; }

        public int Used { get; set; }
    }

    private sealed class Registration
    {
        public RequestState? Send { get; set; }

        public int Generation { get; set; }

        public int Readers { get; set; }
    }
}
