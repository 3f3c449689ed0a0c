using System.Threading.Tasks.Sources;

namespace NetScsi.Iscsi.Target;

/// <summary>
/// The connection's send lock: one writer at a time on the pipe, FIFO hand-off. Unlike
/// <see cref="SemaphoreSlim.WaitAsync()"/>, which allocates a Task for every waiter that has to queue,
/// a caller that owns a reusable <see cref="Waiter"/> (each pooled command does) queues without
/// allocating; other callers (control PDUs, pings) get a fresh waiter only when the lock is held.
/// </summary>
internal sealed class SendLock
{
    private readonly Lock _gate = new();
    private readonly Queue<Waiter> _waiters = new();
    private bool _held;

    /// <summary>Whether a sender holds the lock now (the output watchdog's view; may be stale at once).</summary>
    public bool IsHeld
    {
        get
        {
            lock (_gate)
            {
                return _held;
            }
        }
    }

    /// <summary>Acquires the lock; allocates a waiter only if it has to queue.</summary>
    public ValueTask WaitAsync() => WaitAsync(null);

    /// <summary>
    /// Acquires the lock, queuing <paramref name="waiter"/> if it is held. A waiter may be reused once
    /// the previous wait on it has been awaited.
    /// </summary>
    public ValueTask WaitAsync(Waiter? waiter)
    {
        lock (_gate)
        {
            if (!_held)
            {
                _held = true;
                return default;
            }
            waiter ??= new Waiter();
            short token = waiter.Prepare();
            _waiters.Enqueue(waiter);
            return new ValueTask(waiter, token);
        }
    }

    /// <summary>Releases the lock, handing it straight to the oldest waiter if there is one.</summary>
    public void Release()
    {
        Waiter? next;
        lock (_gate)
        {
            if (!_waiters.TryDequeue(out next))
            {
                _held = false;
                return;
            }
        }
        // The lock stays held: ownership passes to the waiter. Its continuation runs on the thread
        // pool, not inline in the releasing sender.
        next.Grant();
    }

    /// <summary>A reusable wait on the lock.</summary>
    internal sealed class Waiter : IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

        public short Prepare()
        {
            _core.Reset();
            return _core.Version;
        }

        public void Grant() => _core.SetResult(true);

        void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

        ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

        void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _core.OnCompleted(continuation, state, token, flags);
    }
}
