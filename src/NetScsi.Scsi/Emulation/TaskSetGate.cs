namespace NetScsi.Scsi.Emulation;

/// <summary>
/// Orders the tasks of one logical unit by task attribute (SAM-5 §8.6): SIMPLE tasks run concurrently;
/// an ORDERED task starts only after every older task has completed, and no younger SIMPLE or ORDERED
/// task starts until it completes; HEAD OF QUEUE tasks start at once. The SIMPLE path is one
/// compare-and-swap and allocates nothing unless an ORDERED task is pending.
/// </summary>
internal sealed class TaskSetGate
{
    // Low bits: tasks running (SIMPLE and HEAD OF QUEUE). BarrierFlag: an ORDERED task waits or runs,
    // so new SIMPLE tasks queue behind it. The flag is set and cleared only under _lock.
    private const long BarrierFlag = 1L << 62;

    private readonly Lock _lock = new();
    private readonly Queue<Waiter> _waiters = new();
    private long _state;
    private bool _orderedRunning;

    /// <summary>Tasks admitted and not yet exited (SIMPLE and HEAD OF QUEUE), for tests.</summary>
    internal long ActiveCount => Volatile.Read(ref _state) & ~BarrierFlag;

    /// <summary>Admits the task now if its attribute allows; otherwise the caller uses <see cref="EnterAsync"/>.</summary>
    public bool TryEnter(TaskAttribute attribute)
    {
        if (attribute == TaskAttribute.HeadOfQueue)
        {
            Interlocked.Increment(ref _state);
            return true;
        }
        if (attribute == TaskAttribute.Ordered)
        {
            return false;
        }
        long s = Volatile.Read(ref _state);
        while ((s & BarrierFlag) == 0)
        {
            long previous = Interlocked.CompareExchange(ref _state, s + 1, s);
            if (previous == s)
            {
                return true;
            }
            s = previous;
        }
        return false;
    }

    /// <summary>Slow path: queues the task behind the pending ORDERED task(s) and waits its turn.</summary>
    public async ValueTask EnterAsync(TaskAttribute attribute, CancellationToken cancellationToken)
    {
        bool ordered = attribute == TaskAttribute.Ordered;
        Waiter waiter;
        lock (_lock)
        {
            if (!ordered && (Volatile.Read(ref _state) & BarrierFlag) == 0)
            {
                Interlocked.Increment(ref _state);
                return;
            }
            Interlocked.Or(ref _state, BarrierFlag);
            waiter = new Waiter(ordered);
            _waiters.Enqueue(waiter);
            Drain();
        }
        try
        {
            await waiter.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_lock)
            {
                if (waiter.Granted)
                {
                    // Admitted just as it was cancelled: give the slot back.
                    if (ordered)
                    {
                        _orderedRunning = false;
                    }
                    else
                    {
                        Interlocked.Decrement(ref _state);
                    }
                }
                else
                {
                    waiter.Abandoned = true;
                }
                Drain();
            }
            throw;
        }
    }

    /// <summary>Marks an admitted task complete.</summary>
    public void Exit(TaskAttribute attribute)
    {
        if (attribute == TaskAttribute.Ordered)
        {
            lock (_lock)
            {
                _orderedRunning = false;
                Drain();
            }
            return;
        }
        long s = Interlocked.Decrement(ref _state);
        if ((s & BarrierFlag) != 0 && (s & ~BarrierFlag) == 0)
        {
            lock (_lock)
            {
                Drain();
            }
        }
    }

    // Under _lock: admits queued tasks in arrival order as far as the ordering rules allow.
    private void Drain()
    {
        while (_waiters.TryPeek(out Waiter? head))
        {
            if (head.Abandoned)
            {
                _waiters.Dequeue();
                continue;
            }
            if (head.Ordered)
            {
                if (_orderedRunning || (Volatile.Read(ref _state) & ~BarrierFlag) != 0)
                {
                    break;
                }
                _waiters.Dequeue();
                _orderedRunning = true;
                head.Granted = true;
                head.Completion.TrySetResult();
                break;
            }
            if (_orderedRunning)
            {
                break;
            }
            _waiters.Dequeue();
            Interlocked.Increment(ref _state);
            head.Granted = true;
            head.Completion.TrySetResult();
        }
        if (_waiters.Count == 0 && !_orderedRunning)
        {
            Interlocked.And(ref _state, ~BarrierFlag);
        }
    }

    private sealed class Waiter(bool ordered)
    {
        public readonly TaskCompletionSource Completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly bool Ordered = ordered;
        public bool Granted;
        public bool Abandoned;
    }
}
