using NetScsi.Iscsi.Initiator;
using NetScsi.Scsi;
using NetScsi.Scsi.Commands;

namespace NetScsi.Messaging;

/// <summary>
/// This rank's initiator side towards one peer rank: an iSCSI session to the peer's communications device, a fixed
/// set of command slots (at most <see cref="MessagingWorldOptions.MaxInFlightPerPeer"/> commands out), and a FIFO of
/// work waiting for a slot: eager messages (SEND MESSAGE(10)), rendezvous announcements (SEND MESSAGE(10)), pulls of
/// announced data (READ MESSAGE DATA, C1h, straight into the posted receive buffer) and releases. A slot whose
/// command meets BUSY or TASK SET FULL (the peer's per-sender slots are full) is retried after a pause with the same
/// buffer and sequence number, so a full receiver slows its senders down and nothing is lost or reordered for good.
/// </summary>
internal sealed class PeerChannel
{
    private readonly MessagingWorld _world;
    private readonly object _lock = new();
    private readonly Stack<Slot> _free = new();
    private readonly Queue<uint> _releases = new();
    private readonly int _sendLimit;
    private RequestState? _head;
    private RequestState? _tail;
    private RequestState? _pullHead;
    private RequestState? _pullTail;
    private uint _nextSequence;
    private int _sendsInFlight;

    public PeerChannel(MessagingWorld world, int rank, IscsiSession session)
    {
        _world = world;
        Rank = rank;
        Session = session;
        for (int i = 0; i < world.Options.MaxInFlightPerPeer; i++)
        {
            _free.Push(new Slot(this, Envelope.Size + world.Options.EagerLimit));
        }
        _releases.EnsureCapacity(16);
        // Sends never take the last slots: pulls and releases always find one, so a rank whose sends the peer
        // refuses (its slots for us are full) can still pull the data that lets the peer's receives go on.
        _sendLimit = Math.Max(1, world.Options.MaxInFlightPerPeer - Math.Max(1, world.Options.MaxInFlightPerPeer / 4));
    }

    /// <summary>The peer's world rank.</summary>
    public int Rank { get; }

    public IscsiSession Session { get; }

    /// <summary>
    /// Queues a send (giving it its sequence number) or a pull; <see cref="Pump"/> submits it. Pulls have their own
    /// queue, served first: they never wait behind sends.
    /// </summary>
    public void Enqueue(RequestState request)
    {
        request.NextWork = null;
        lock (_lock)
        {
            if (request.Kind == RequestKind.Send)
            {
                request.Sequence = _nextSequence++;
                Append(ref _head, ref _tail, request);
            }
            else
            {
                Append(ref _pullHead, ref _pullTail, request);
            }
        }
    }

    private static void Append(ref RequestState? head, ref RequestState? tail, RequestState request)
    {
        if (tail is null)
        {
            head = tail = request;
        }
        else
        {
            tail.NextWork = request;
            tail = request;
        }
    }

    /// <summary>Queues a release of an announced message this rank will not pull (it was truncated).</summary>
    public void QueueRelease(uint handle)
    {
        lock (_lock)
        {
            _releases.Enqueue(handle);
        }
    }

    /// <summary>Takes the queued work out of the queue (the world failed): the caller fails it.</summary>
    public RequestState? DrainForFailure()
    {
        lock (_lock)
        {
            RequestState? head = _head;
            if (_pullTail is not null)
            {
                _pullTail.NextWork = head;
                head = _pullHead;
            }
            _head = _tail = _pullHead = _pullTail = null;
            _releases.Clear();
            return head;
        }
    }

    /// <summary>Gives free slots queued work and submits their commands.</summary>
    public void Pump()
    {
        while (true)
        {
            Slot? slot;
            lock (_lock)
            {
                bool sendReady = _head is not null && _sendsInFlight < _sendLimit;
                if ((!sendReady && _pullHead is null && _releases.Count == 0) || !_free.TryPop(out slot))
                {
                    return;
                }
                if (_releases.Count > 0)
                {
                    slot.PrepareRelease(_releases.Dequeue(), _world.Rank);
                }
                else if (_pullHead is RequestState pull)
                {
                    if (slot.Prepare(pull, _world))
                    {
                        _pullHead = pull.NextWork;
                        if (_pullHead is null)
                        {
                            _pullTail = null;
                        }
                        pull.NextWork = null;
                    }
                }
                else
                {
                    RequestState request = _head!;
                    slot.Prepare(request, _world);
                    _sendsInFlight++;
                    _head = request.NextWork;
                    if (_head is null)
                    {
                        _tail = null;
                    }
                    request.NextWork = null;
                }
            }
            slot.Submit();
        }
    }

    private void Release(Slot slot, bool wasSend)
    {
        lock (_lock)
        {
            _free.Push(slot);
            if (wasSend)
            {
                _sendsInFlight--;
            }
        }
        Pump();
    }

    /// <summary>What a slot's command does.</summary>
    private enum SlotWork
    {
        Eager,
        Announce,
        Release,
        Pull,
    }

    /// <summary>One command at a time: its CDB, its data-out buffer, its request and its continuation, all reused.</summary>
    internal sealed class Slot
    {
        private readonly PeerChannel _owner;
        private readonly ReusableCommandAwaiter _completion;
        private readonly byte[] _cdb = new byte[ReadMessageDataCdb.Length];
        private readonly byte[] _buffer;
        private SlotWork _work;
        private RequestState? _request;
        private int _cdbLength;
        private int _length;
        private int _offset;
        private int _unitAttentions;

        public Slot(PeerChannel owner, int bufferSize)
        {
            _owner = owner;
            _buffer = new byte[bufferSize];
            _completion = new ReusableCommandAwaiter(Finish);
        }

        public PeerChannel Owner => _owner;

        /// <summary>Sets up the next command of <paramref name="request"/>; true when the request needs no more slots.</summary>
        public bool Prepare(RequestState request, MessagingWorld world)
        {
            _request = request;
            _unitAttentions = 0;
            if (request.Kind == RequestKind.Receive)
            {
                // A pull: the next chunk of the announced data, straight into the receive buffer.
                _work = SlotWork.Pull;
                _offset = request.PullNext;
                _length = Math.Min(world.Options.PullChunk, request.PullLength - request.PullNext);
                request.PullNext += _length;
                Interlocked.Increment(ref request.PullOutstanding);
                _cdbLength = new ReadMessageDataCdb(request.Handle, (uint)_offset, (uint)_length).WriteTo(_cdb);
                return request.PullNext >= request.PullLength;
            }
            int length = request.Buffer.Length;
            if (request.Rendezvous)
            {
                _work = SlotWork.Announce;
                new Envelope(EnvelopeKind.Announce, request.Context, world.Rank, request.Tag, length, request.Sequence, request.Handle).WriteTo(_buffer);
                _length = Envelope.Size;
            }
            else
            {
                _work = SlotWork.Eager;
                new Envelope(EnvelopeKind.Eager, request.Context, world.Rank, request.Tag, length, request.Sequence, 0).WriteTo(_buffer);
                request.Buffer.GetSpan().CopyTo(_buffer.AsSpan(Envelope.Size));
                _length = Envelope.Size + length;
                // Buffered: the payload is in the slot, so the send is complete (MPI's eager sends may be). If the
                // peer then refuses it or is lost, the world fails and the next operation reports it.
                _request = null;
                request.Complete();
            }
            _cdbLength = new SendMessageCdb(MessagingWorld.Stream, (uint)_length).WriteTo(_cdb);
            return true;
        }

        public void PrepareRelease(uint handle, int rank)
        {
            _request = null;
            _unitAttentions = 0;
            _work = SlotWork.Release;
            new Envelope(EnvelopeKind.Release, 0, rank, 0, 0, 0, handle).WriteTo(_buffer);
            _length = Envelope.Size;
            _cdbLength = new SendMessageCdb(MessagingWorld.Stream, Envelope.Size).WriteTo(_cdb);
        }

        public void Submit()
        {
            ValueTask<ScsiResult> command;
            try
            {
                command = _work == SlotWork.Pull
                    ? _owner.Session.ExecuteAsync(0, _cdb.AsMemory(0, _cdbLength), _request!.Buffer.Memory.Slice(_offset, _length), default)
                    : _owner.Session.ExecuteAsync(0, _cdb.AsMemory(0, _cdbLength), default, _buffer.AsMemory(0, _length));
            }
            catch (Exception e)
            {
                Finish(default, e);
                return;
            }
            _completion.Start(command);
        }

        private void Finish(ScsiResult result, Exception? failure)
        {
            MessagingWorld world = _owner._world;
            if (failure is null && result.Response == 0 && result.Status is ScsiStatus.Busy or ScsiStatus.TaskSetFull)
            {
                // The peer has no room for this sender now: the same command again, after a pause.
                world.Retry(this);
                return;
            }
            if (failure is null && result.SenseKey == SenseKey.UnitAttention && ++_unitAttentions < 4)
            {
                // A reset or a nexus loss reported once; the command itself was not refused.
                Submit();
                return;
            }
            RequestState? request = _request;
            _request = null;
            Exception? error = null;
            if (failure is not null)
            {
                error = new MessagingException($"rank {_owner.Rank} is unreachable: {failure.Message}", failure);
            }
            else if (!result.IsGood)
            {
                error = new MessagingException($"rank {_owner.Rank} refused a {_work.ToString().ToLowerInvariant()} command: {result.Describe()}");
            }
            if (error is not null)
            {
                world.Fail(error);
            }
            switch (_work)
            {
                case SlotWork.Eager:
                    break;
                case SlotWork.Announce:
                    if (error is not null)
                    {
                        world.FailRegisteredSend(request!, error);
                    }
                    break;
                case SlotWork.Pull:
                    if (error is null)
                    {
                        Interlocked.Add(ref request!.PullArrived, _length);
                    }
                    if (Interlocked.Decrement(ref request!.PullOutstanding) == 0
                        && (Interlocked.Read(ref request.PullArrived) == request.PullLength || world.Failure is not null))
                    {
                        request.Complete(Interlocked.Read(ref request.PullArrived) == request.PullLength ? null : world.Failure ?? error);
                    }
                    break;
                case SlotWork.Release:
                    break;
            }
            _owner.Release(this, _work is SlotWork.Eager or SlotWork.Announce);
        }

        /// <summary>Called by the retry loop.</summary>
        public void Resubmit() => Submit();
    }
}
