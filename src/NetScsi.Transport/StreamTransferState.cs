namespace NetScsi.Transport;

/// <summary>
/// A target's Data-Out bookkeeping for one write over a byte-stream mover (RFC 7143 §11.7-11.8): where unsolicited
/// data ends, which R2Ts are outstanding and what each expects next. Lives in <see cref="DataTask.Stream"/>.
/// </summary>
internal struct StreamTransferState
{
    /// <summary>Most R2Ts outstanding for one task; our MaxOutstandingR2T offers are capped to it.</summary>
    public const int MaxR2Ts = 16;

    /// <summary>Write data expected in total (EDTL).</summary>
    public int ExpectedLength;

    /// <summary>End of the unsolicited region (immediate + unsolicited Data-Out).</summary>
    public int UnsolicitedEnd;

    /// <summary>Next DataSN expected in the unsolicited Data-Out sequence.</summary>
    public uint NextUnsolicitedDataSN;

    /// <summary>Next offset an R2T will ask for.</summary>
    public int NextR2TOffset;

    public uint NextR2TSN;

    public int OutstandingR2Ts;

    /// <summary>The outstanding R2Ts (allocated once per task object, reused).</summary>
    public R2TState[]? R2Ts;

    /// <summary>What of the write has arrived, when Data-Out may come in any order (DataPDUInOrder=No, RFC 7143 §13.18).</summary>
    public ReceivedRanges Received;

    public void Reset(int expectedLength, int unsolicitedEnd)
    {
        ExpectedLength = expectedLength;
        UnsolicitedEnd = unsolicitedEnd;
        NextUnsolicitedDataSN = 0;
        NextR2TOffset = unsolicitedEnd;
        NextR2TSN = 0;
        Received.Clear();
        ClearR2Ts();
    }

    /// <summary>Allocates an R2T slot for [offset, offset+length); -1 when none is free.</summary>
    public int AddR2T(uint targetTransferTag, int offset, int length)
    {
        R2Ts ??= new R2TState[MaxR2Ts];
        for (int i = 0; i < R2Ts.Length; i++)
        {
            if (!R2Ts[i].InUse)
            {
                R2Ts[i] = new R2TState { InUse = true, TargetTransferTag = targetTransferTag, Offset = offset, Length = length, R2TSN = NextR2TSN };
                NextR2TSN++;
                NextR2TOffset = offset + length;
                OutstandingR2Ts++;
                return i;
            }
        }
        return -1;
    }

    public readonly int FindR2T(uint targetTransferTag)
    {
        if (R2Ts is null)
        {
            return -1;
        }
        for (int i = 0; i < R2Ts.Length; i++)
        {
            if (R2Ts[i].InUse && R2Ts[i].TargetTransferTag == targetTransferTag)
            {
                return i;
            }
        }
        return -1;
    }

    public void CompleteR2T(int index)
    {
        R2Ts![index].InUse = false;
        OutstandingR2Ts--;
    }

    public void ClearR2Ts()
    {
        if (R2Ts is not null)
        {
            Array.Clear(R2Ts);
        }
        OutstandingR2Ts = 0;
    }
}

/// <summary>One outstanding R2T (RFC 7143 §11.8) and how far its Data-Out sequence has come.</summary>
internal struct R2TState
{
    public bool InUse;
    public uint TargetTransferTag;
    public uint R2TSN;
    public int Offset;
    public int Length;
    public int Received;
    public uint NextDataSN;
}

/// <summary>
/// The byte ranges of one write received so far, sorted, merged and disjoint: with DataPDUInOrder=No (RFC 7143 §13.18)
/// Data-Out of a sequence may come in any order, and each PDU must land where nothing has landed yet. The array is
/// allocated on a task object's first out-of-order write and reused; data arriving in order keeps it at one range.
/// The number of gaps is bounded (<see cref="MaxRanges"/>), so no peer can grow it without bound.
/// </summary>
internal struct ReceivedRanges
{
    /// <summary>Most disjoint ranges one write may have at a time; a PDU that would open one more is refused.</summary>
    public const int MaxRanges = 1024;

    /// <summary>Start and end of each range: [2i] and [2i+1].</summary>
    private int[]? _bounds;
    private int _count;

    /// <summary>Disjoint ranges held now.</summary>
    public readonly int Count => _count;

    public void Clear() => _count = 0;

    /// <summary>
    /// Records [<paramref name="start"/>, <paramref name="end"/>); false, recording nothing, when it overlaps what has
    /// arrived or would leave more than <see cref="MaxRanges"/> ranges.
    /// </summary>
    public bool TryAdd(int start, int end)
    {
        if (end <= start)
        {
            return end == start;
        }
        _bounds ??= new int[16];

        // The first range that ends at or after start: the only one that can touch or overlap the new one from the left.
        int lo = 0;
        int hi = _count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_bounds[(2 * mid) + 1] < start)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        int i = lo;
        if (i < _count && _bounds[2 * i] < end && _bounds[(2 * i) + 1] > start)
        {
            return false;
        }

        bool joinsLeft = i < _count && _bounds[(2 * i) + 1] == start;
        int right = joinsLeft ? i + 1 : i;
        if (right < _count && _bounds[2 * right] < end)
        {
            return false; // reaches into the next range
        }
        bool joinsRight = right < _count && _bounds[2 * right] == end;
        if (joinsLeft && joinsRight)
        {
            _bounds[(2 * i) + 1] = _bounds[(2 * right) + 1];
            Array.Copy(_bounds, 2 * (right + 1), _bounds, 2 * right, 2 * (_count - right - 1));
            _count--;
        }
        else if (joinsLeft)
        {
            _bounds[(2 * i) + 1] = end;
        }
        else if (joinsRight)
        {
            _bounds[2 * right] = start;
        }
        else
        {
            if (_count == MaxRanges)
            {
                return false;
            }
            if (2 * (_count + 1) > _bounds.Length)
            {
                Array.Resize(ref _bounds, _bounds.Length * 2);
            }
            Array.Copy(_bounds, 2 * i, _bounds, 2 * (i + 1), 2 * (_count - i));
            _bounds[2 * i] = start;
            _bounds[(2 * i) + 1] = end;
            _count++;
        }
        return true;
    }
}
