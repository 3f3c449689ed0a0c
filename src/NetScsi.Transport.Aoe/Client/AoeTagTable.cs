namespace NetScsi.Transport.Aoe.Client;

/// <summary>
/// The client's frames in flight, by tag: which slot a reply belongs to, when each frame is due, when to retransmit
/// and when to give up. A state machine without sockets or clock: every call takes the time, in ticks.
/// </summary>
/// <remarks>
/// A tag is <c>nonce:8 | generation:16 | slot:8</c>. The slot finds the entry without a search; the generation,
/// bumped on every reuse of a slot, makes a late reply to an earlier use (a retransmission's second answer) miss; the
/// nonce, random per client, keeps two clients on one interface (several bench sessions share a MAC) out of each
/// other's replies. Retransmission keeps the tag (AoE r11 §2: the target echoes it; the Linux driver does likewise),
/// so whichever copy's reply arrives first completes the frame and the other is stale.
/// </remarks>
internal sealed class AoeTagTable
{
    /// <summary>The most frames one table tracks (the slot is 8 bits of the tag).</summary>
    public const int MaxCapacity = 256;

    private readonly AoeRttEstimator _rtt;
    private readonly long _giveUpAfter;
    private readonly uint _nonce;
    private readonly uint[] _tags;
    private readonly bool[] _inUse;
    private readonly long[] _firstSent;
    private readonly long[] _lastSent;
    private readonly long[] _deadline;
    private readonly long[] _timeout;
    private readonly int[] _transmissions;
    private readonly int[] _free;
    private int _freeCount;
    private ushort _generation;

    /// <param name="capacity">Frames in flight at most (1 to 256).</param>
    /// <param name="rtt">The estimate new frames' timers start from; replies update it.</param>
    /// <param name="giveUpAfter">How long after its first transmission a frame is given up.</param>
    /// <param name="nonce">The tag's top octet, distinct per client.</param>
    public AoeTagTable(int capacity, AoeRttEstimator rtt, long giveUpAfter, byte nonce)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxCapacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(giveUpAfter);
        Capacity = capacity;
        _rtt = rtt;
        _giveUpAfter = giveUpAfter;
        _nonce = (uint)nonce << 24;
        _tags = new uint[capacity];
        _inUse = new bool[capacity];
        _firstSent = new long[capacity];
        _lastSent = new long[capacity];
        _deadline = new long[capacity];
        _timeout = new long[capacity];
        _transmissions = new int[capacity];
        _free = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _free[i] = capacity - 1 - i;
        }

        _freeCount = capacity;
    }

    public int Capacity { get; }

    /// <summary>Frames in flight.</summary>
    public int InFlight => Capacity - _freeCount;

    /// <summary>Frames sent again after a timeout.</summary>
    public long Retransmissions { get; private set; }

    /// <summary>Frames given up.</summary>
    public long GiveUps { get; private set; }

    /// <summary>Replies that matched no frame in flight (late duplicates, other clients' replies).</summary>
    public long StaleReplies { get; private set; }

    public AoeRttEstimator Rtt => _rtt;

    public uint TagOf(int slot) => _tags[slot];

    public int TransmissionsOf(int slot) => _transmissions[slot];

    /// <summary>When the frame in <paramref name="slot"/> first went out.</summary>
    public long FirstSentOf(int slot) => _firstSent[slot];

    /// <summary>Takes a free slot and gives it a fresh tag; false when every slot is in flight.</summary>
    public bool TryAcquire(out int slot, out uint tag)
    {
        if (_freeCount == 0)
        {
            slot = -1;
            tag = 0;
            return false;
        }

        slot = _free[--_freeCount];
        _generation++;
        tag = _nonce | ((uint)_generation << 8) | (uint)slot;
        _tags[slot] = tag;
        _inUse[slot] = true;
        _transmissions[slot] = 0;
        return true;
    }

    /// <summary>The frame in <paramref name="slot"/> went out for the first time at <paramref name="now"/>.</summary>
    public void MarkSent(int slot, long now)
    {
        _firstSent[slot] = now;
        _lastSent[slot] = now;
        _transmissions[slot] = 1;
        _timeout[slot] = _rtt.RetransmitTimeout;
        _deadline[slot] = now + _timeout[slot];
    }

    /// <summary>
    /// A reply with <paramref name="tag"/> arrived at <paramref name="now"/>: the slot it completes (freed, and the RTT
    /// sampled if the frame went out once), or false for a tag not in flight.
    /// </summary>
    public bool TryComplete(uint tag, long now, out int slot)
    {
        slot = (int)(tag & 0xFF);
        if (slot >= Capacity || !_inUse[slot] || _tags[slot] != tag || _transmissions[slot] == 0)
        {
            StaleReplies++;
            slot = -1;
            return false;
        }

        if (_transmissions[slot] == 1)
        {
            _rtt.Sample(now - _lastSent[slot]);
        }

        Release(slot);
        return true;
    }

    /// <summary>Frees a slot without a reply (its I/O was abandoned).</summary>
    public void Release(int slot)
    {
        if (!_inUse[slot])
        {
            return;
        }

        _inUse[slot] = false;
        _transmissions[slot] = 0;
        _free[_freeCount++] = slot;
    }

    /// <summary>The earliest deadline of a frame in flight, or <see cref="long.MaxValue"/> when none is.</summary>
    public long NextDeadline()
    {
        long next = long.MaxValue;
        for (int i = 0; i < Capacity; i++)
        {
            if (_inUse[i] && _transmissions[i] > 0 && _deadline[i] < next)
            {
                next = _deadline[i];
            }
        }

        return next;
    }

    /// <summary>Fills <paramref name="expired"/> with the slots whose deadline is at or before <paramref name="now"/>.</summary>
    /// <returns>How many.</returns>
    public int CollectExpired(long now, Span<int> expired)
    {
        int count = 0;
        for (int i = 0; i < Capacity && count < expired.Length; i++)
        {
            if (_inUse[i] && _transmissions[i] > 0 && _deadline[i] <= now)
            {
                expired[count++] = i;
            }
        }

        return count;
    }

    /// <summary>
    /// Decides for an overdue frame: <see cref="AoeTimeoutAction.Retransmit"/> (its timer doubled; the caller sends it
    /// again now) or, once <c>giveUpAfter</c> has passed since its first transmission, <see cref="AoeTimeoutAction.GiveUp"/>
    /// (the slot is freed).
    /// </summary>
    public AoeTimeoutAction OnTimeout(int slot, long now)
    {
        if (now - _firstSent[slot] >= _giveUpAfter)
        {
            GiveUps++;
            Release(slot);
            return AoeTimeoutAction.GiveUp;
        }

        Retransmissions++;
        _transmissions[slot]++;
        _lastSent[slot] = now;
        _timeout[slot] = _rtt.BackOff(_timeout[slot]);
        // The last wait ends at the give-up bound, not a whole doubled timeout past it.
        _deadline[slot] = Math.Min(now + _timeout[slot], _firstSent[slot] + _giveUpAfter);
        return AoeTimeoutAction.Retransmit;
    }
}
