using NetScsi.Scsi.Alua;

namespace NetScsi.Storage.Rbd;

/// <summary>
/// Implicit ALUA that follows the RBD image's exclusive lock: the gateway holding it is active/optimized, the others
/// in their non-owner state (active/non-optimized, standby or unavailable). Every <see cref="PollInterval"/> it asks
/// librbd whether this client owns the lock (rbd_is_exclusive_lock_owner); when it does not and the owner is gone
/// (nobody holds it, or the holder no longer watches the image), it takes the lock (rbd_lock_acquire, which breaks a
/// dead owner's lock and blocklists it). A killed owner's watch outlives it by osd_client_watch_timeout (30 s), so an
/// owner that still watches is also probed (a notify on the image header, once per <see cref="ProbeInterval"/>): one
/// that misses <see cref="MissesToBreak"/> probes of <see cref="ProbeTimeout"/> in a row has its lock broken, which
/// blocklists it, and the lock taken: failover in about ProbeInterval + MissesToBreak × ProbeTimeout. It writes the local group's state, and the peers' where it can tell: when
/// this gateway is the owner, every peer is in its non-owner state; with exactly one peer, that peer is
/// active/optimized while somebody else holds the lock.
/// </summary>
public sealed class RbdAluaLockFollower : IAsyncDisposable
{
    private readonly RbdBlockDevice _device;
    private readonly TargetPortGroupRegistry _registry;
    private readonly ushort _localGroup;
    private readonly AsymmetricAccessState _nonOwnerState;
    private readonly IReadOnlyList<(ushort Id, AsymmetricAccessState NonOwnerState)> _peers;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private volatile bool _owner;
    private int _handovers;
    private int _locksBroken;
    private int _misses;
    private long _lastProbe;
    private string? _probedOwner;

    /// <param name="device">The image.</param>
    /// <param name="registry">The unit's groups: <paramref name="localGroup"/> and the peers.</param>
    /// <param name="localGroup">This gateway's group.</param>
    /// <param name="nonOwnerState">This gateway's state while it does not hold the lock.</param>
    /// <param name="peers">The other gateways' groups, each with its state while it does not hold the lock.</param>
    /// <param name="pollInterval">How often to look (default 500 ms).</param>
    /// <param name="probeTimeout">How long the owner's watch has to answer a probe (default 2 s).</param>
    /// <param name="missesToBreak">Probes in a row the owner must miss before its lock is broken (default 2).</param>
    /// <param name="target">The target's name, for the metrics' <c>target</c> tag (<see cref="RbdMeter"/>).</param>
    /// <param name="lun">The LUN number, for the metrics' <c>lun</c> tag.</param>
    public RbdAluaLockFollower(RbdBlockDevice device, TargetPortGroupRegistry registry, ushort localGroup, AsymmetricAccessState nonOwnerState,
        IReadOnlyList<(ushort Id, AsymmetricAccessState NonOwnerState)> peers, TimeSpan? pollInterval = null, string target = "", int lun = 0,
        TimeSpan? probeTimeout = null, int missesToBreak = 2)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(peers);
        if (nonOwnerState is AsymmetricAccessState.ActiveOptimized or AsymmetricAccessState.Transitioning)
        {
            throw new ArgumentException("The non-owner state is active/non-optimized, standby or unavailable.", nameof(nonOwnerState));
        }
        _device = device;
        _registry = registry;
        _localGroup = localGroup;
        _nonOwnerState = nonOwnerState;
        _peers = peers;
        ArgumentOutOfRangeException.ThrowIfLessThan(missesToBreak, 1);
        PollInterval = pollInterval ?? TimeSpan.FromMilliseconds(500);
        ProbeTimeout = probeTimeout ?? TimeSpan.FromSeconds(2);
        ProbeInterval = PollInterval > TimeSpan.FromSeconds(1) ? PollInterval : TimeSpan.FromSeconds(1);
        MissesToBreak = missesToBreak;
        MetricTags = [new("target", target), new("lun", lun.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("image", device.Name)];
        Poll();
        _loop = Task.Run(RunAsync);
        RbdMeter.Add(this);
    }

    /// <summary>How often ownership is checked.</summary>
    public TimeSpan PollInterval { get; }

    /// <summary>How long the owner's watch has to ack a probe.</summary>
    public TimeSpan ProbeTimeout { get; }

    /// <summary>How often a live-looking owner is probed while this gateway does not hold the lock (at least 1 s).</summary>
    public TimeSpan ProbeInterval { get; }

    /// <summary>Probes in a row the owner must miss before its lock is broken.</summary>
    public int MissesToBreak { get; }

    /// <summary>How often this gateway broke (and blocklisted) an owner that no longer answered.</summary>
    public int LocksBroken => Volatile.Read(ref _locksBroken);

    /// <summary>Lock handovers seen: how often this gateway gained or lost the lock (taking it at start counts).</summary>
    public int Handovers => Volatile.Read(ref _handovers);

    /// <summary>Whether this gateway held the lock at the last poll.</summary>
    public bool IsOwner => _owner;

    /// <summary>The metrics' tags (target, lun, image), built once.</summary>
    internal KeyValuePair<string, object?>[] MetricTags { get; }

    /// <summary>The last error polling met (the cluster out of reach), or null.</summary>
    public Exception? LastError { get; private set; }

    /// <summary>Raised when this gateway gains (true) or loses (false) the lock.</summary>
    public event Action<bool>? OwnershipChanged;

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(PollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                Poll();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Poll()
    {
        try
        {
            bool owner = _device.IsExclusiveLockOwner();
            string? holder = null;
            if (!owner)
            {
                RbdLockOwner lockOwner = _device.GetExclusiveLockOwner();
                holder = lockOwner.Owner;
                if ((holder is null || !lockOwner.Watching) && !_stop.IsCancellationRequested)
                {
                    owner = _device.TryAcquireExclusiveLock();
                    if (!owner)
                    {
                        holder = _device.GetExclusiveLockOwner().Owner;
                    }
                }
                else if (holder is not null && lockOwner.WatcherId != 0 && !_stop.IsCancellationRequested && ProbeDue())
                {
                    (owner, holder) = ProbeOwner(lockOwner);
                }
            }
            else
            {
                _misses = 0;
            }
            LastError = null;
            Apply(owner, holder is not null);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            LastError = e;
        }
    }

    private bool ProbeDue()
    {
        long now = Environment.TickCount64;
        if (now - _lastProbe < (long)ProbeInterval.TotalMilliseconds)
        {
            return false;
        }
        _lastProbe = now;
        return true;
    }

    /// <summary>
    /// The owner still watches the image; ask it (one notify on the header, <see cref="RbdBlockDevice.ProbeWatcher"/>).
    /// After <see cref="MissesToBreak"/> probes in a row it did not answer within <see cref="ProbeTimeout"/>, its lock
    /// is broken, which blocklists it (fenced: it can never write again, even if it was only cut off), and taken.
    /// A live owner answers every probe, so the lock never moves in steady state.
    /// </summary>
    private (bool Owner, string? Holder) ProbeOwner(RbdLockOwner lockOwner)
    {
        if (lockOwner.Owner != _probedOwner)
        {
            _probedOwner = lockOwner.Owner;
            _misses = 0;
        }
        if (_device.ProbeWatcher(lockOwner.WatcherId, lockOwner.WatchCookie, ProbeTimeout))
        {
            _misses = 0;
            return (false, lockOwner.Owner);
        }
        if (++_misses < MissesToBreak)
        {
            return (false, lockOwner.Owner);
        }
        _misses = 0;
        _device.BreakExclusiveLock(lockOwner.Owner!);
        Interlocked.Increment(ref _locksBroken);
        bool owner = _device.TryAcquireExclusiveLock();
        return (owner, owner ? null : _device.GetExclusiveLockOwner().Owner);
    }

    private void Apply(bool owner, bool heldElsewhere)
    {
        if (owner != _owner)
        {
            _owner = owner;
            Interlocked.Increment(ref _handovers);
            OwnershipChanged?.Invoke(owner);
        }
        foreach ((ushort id, AsymmetricAccessState peerNonOwner) in _peers)
        {
            _registry.SetState(id, !owner && heldElsewhere && _peers.Count == 1 ? AsymmetricAccessState.ActiveOptimized : peerNonOwner);
        }
        _registry.SetState(_localGroup, owner ? AsymmetricAccessState.ActiveOptimized : _nonOwnerState);
    }

    /// <summary>Stops polling (before the device is disposed).</summary>
    public async ValueTask DisposeAsync()
    {
        RbdMeter.Remove(this);
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
