namespace NetScsi.Scsi.Emulation;

/// <summary>
/// Per I_T nexus state of one logical unit: the unit attention queue (SPC-4 §5.14) and whether the
/// nexus prevents medium removal (SPC-4 §6.13).
/// </summary>
internal sealed class NexusState
{
    private const int MaxPending = 8;

    private readonly Lock _lock = new();
    private readonly ushort[] _pending = new ushort[MaxPending];
    private int _count;

    public NexusState(ushort initialUnitAttention)
    {
        _pending[0] = initialUnitAttention;
        _count = 1;
    }

    /// <summary>PREVENT ALLOW MEDIUM REMOVAL with PREVENT = 01b is in effect for this nexus.</summary>
    public bool PreventsRemoval { get; set; }

    /// <summary>Lock-free check for the fast path.</summary>
    public bool HasUnitAttention => Volatile.Read(ref _count) != 0;

    /// <summary>
    /// Queues a unit attention. A POWER ON / RESET class condition (ASC 29h) replaces everything queued
    /// (SPC-4 §5.14: it supersedes the others); duplicates are dropped; a full queue drops the newest.
    /// </summary>
    public void Add(ushort ascAndAscq)
    {
        lock (_lock)
        {
            if (Asc.Code(ascAndAscq) == Asc.Code(Asc.PowerOnResetOrBusDeviceResetOccurred))
            {
                _count = 0;
            }
            for (int i = 0; i < _count; i++)
            {
                if (_pending[i] == ascAndAscq)
                {
                    return;
                }
            }
            if (_count < MaxPending)
            {
                _pending[_count] = ascAndAscq;
                Volatile.Write(ref _count, _count + 1);
            }
        }
    }

    /// <summary>Removes and returns the oldest pending unit attention.</summary>
    public bool TryTake(out ushort ascAndAscq)
    {
        ascAndAscq = 0;
        if (Volatile.Read(ref _count) == 0)
        {
            return false;
        }
        lock (_lock)
        {
            if (_count == 0)
            {
                return false;
            }
            ascAndAscq = _pending[0];
            Array.Copy(_pending, 1, _pending, 0, _count - 1);
            Volatile.Write(ref _count, _count - 1);
            return true;
        }
    }

    /// <summary>Drops every pending unit attention.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            Volatile.Write(ref _count, 0);
        }
    }
}
