using NetScsi.Scsi.Alua;

namespace NetScsi.Storage.Rbd;

/// <summary>
/// Implicit ALUA that follows the RBD image's exclusive lock: the gateway holding it is active/optimized, the others
/// in their non-owner state (active/non-optimized, standby or unavailable). Every <see cref="PollInterval"/> it asks
/// librbd whether this client owns the lock (rbd_is_exclusive_lock_owner); when it does not and the owner is gone
/// (nobody holds it, or the holder no longer watches the image), it takes the lock (rbd_lock_acquire, which breaks a
/// dead owner's lock and blocklists it). It writes the local group's state, and the peers' where it can tell: when
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

    /// <param name="device">The image.</param>
    /// <param name="registry">The unit's groups: <paramref name="localGroup"/> and the peers.</param>
    /// <param name="localGroup">This gateway's group.</param>
    /// <param name="nonOwnerState">This gateway's state while it does not hold the lock.</param>
    /// <param name="peers">The other gateways' groups, each with its state while it does not hold the lock.</param>
    /// <param name="pollInterval">How often to look (default 500 ms).</param>
    /// <param name="target">The target's name, for the metrics' <c>target</c> tag (<see cref="RbdMeter"/>).</param>
    /// <param name="lun">The LUN number, for the metrics' <c>lun</c> tag.</param>
    public RbdAluaLockFollower(RbdBlockDevice device, TargetPortGroupRegistry registry, ushort localGroup, AsymmetricAccessState nonOwnerState,
        IReadOnlyList<(ushort Id, AsymmetricAccessState NonOwnerState)> peers, TimeSpan? pollInterval = null, string target = "", int lun = 0)
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
        PollInterval = pollInterval ?? TimeSpan.FromMilliseconds(500);
        MetricTags = [new("target", target), new("lun", lun.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("image", device.Name)];
        Poll();
        _loop = Task.Run(RunAsync);
        RbdMeter.Add(this);
    }

    /// <summary>How often ownership is checked.</summary>
    public TimeSpan PollInterval { get; }

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
                (holder, bool watching) = _device.GetExclusiveLockOwner();
                if ((holder is null || !watching) && !_stop.IsCancellationRequested)
                {
                    owner = _device.TryAcquireExclusiveLock();
                    if (!owner)
                    {
                        (holder, _) = _device.GetExclusiveLockOwner();
                    }
                }
            }
            LastError = null;
            Apply(owner, holder is not null);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            LastError = e;
        }
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
