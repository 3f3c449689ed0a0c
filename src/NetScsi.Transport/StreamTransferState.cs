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

    public void Reset(int expectedLength, int unsolicitedEnd)
    {
        ExpectedLength = expectedLength;
        UnsolicitedEnd = unsolicitedEnd;
        NextUnsolicitedDataSN = 0;
        NextR2TOffset = unsolicitedEnd;
        NextR2TSN = 0;
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
