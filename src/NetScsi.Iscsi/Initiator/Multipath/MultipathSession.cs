using System.Runtime.CompilerServices;
using NetScsi.Scsi;
using NetScsi.Scsi.Alua;

namespace NetScsi.Iscsi.Initiator.Multipath;

/// <summary>One path of a <see cref="MultipathSession"/> as <see cref="MultipathSession.Paths"/> reports it.</summary>
/// <param name="Portal">Where the path's session connects.</param>
/// <param name="Up">Its session runs.</param>
/// <param name="Group">The target port group of its port (VPD 83h), null without ALUA or before login.</param>
/// <param name="State">That group's state at the last REPORT TARGET PORT GROUPS, null without ALUA.</param>
/// <param name="Stale">The state is being read again (the path refused a command, or reported a change).</param>
/// <param name="InUse">Commands go to this path.</param>
public sealed record MultipathPathStatus(string Portal, bool Up, ushort? Group, AsymmetricAccessState? State, bool Stale, bool InUse);

/// <summary>A failover: the first command completed on <paramref name="To"/> after commands had completed on <paramref name="From"/>.</summary>
/// <param name="From">The portal used before.</param>
/// <param name="To">The portal used now.</param>
/// <param name="FirstCompletedAt">When that first command completed.</param>
public sealed record MultipathFailover(string From, string To, DateTimeOffset FirstCompletedAt);

/// <summary>
/// One LUN over sessions to every portal (gateway) that serves it: commands go to the path <see cref="PathSelector"/>
/// chooses by ALUA state, and move when a path dies or its state changes.
/// <list type="bullet">
/// <item>Each path is an <see cref="IscsiSession"/> with its own recovery: a lost connection is re-tried on its portal
/// for <see cref="MultipathOptions.PathFailTimeout"/>, and commands it had sent are re-issued there if it comes back.
/// Past that the session fails those commands, and they are re-issued on the path chosen next, exactly once (a
/// command lost twice fails). A command refused for its path's state (NOT READY 04h/0Ah, 0Bh, 0Ch: nothing was
/// done) is sent again once the states are read again.</item>
/// <item>A monitor reads every up path's state (REPORT TARGET PORT GROUPS, the group of the path's port from VPD
/// 83h) every <see cref="MultipathOptions.StateRefreshInterval"/>, at once after a refusal or ASYMMETRIC ACCESS STATE
/// CHANGED (UNIT ATTENTION 2Ah/06h), and every <see cref="MultipathOptions.FastRefreshInterval"/> while no path is
/// usable; it logs a down path in again every <see cref="MultipathOptions.ReconnectInterval"/>.</item>
/// <item>While no path is usable, commands wait up to <see cref="MultipathOptions.NoPathTimeout"/>.</item>
/// </list>
/// The path state is that of <c>lun</c> given to <see cref="ConnectAsync"/>; commands to other LUNs follow it.
/// Commands allocate nothing in steady state (pooled async state machines over the sessions' pooled commands).
/// </summary>
public sealed class MultipathSession : IScsiBlockIo, IAsyncDisposable
{
    private const uint RtpgAllocation = 4096;
    private const ushort VpdAllocation = 512;

    private readonly Path[] _paths;
    private readonly PathSelector _selector;
    private readonly MultipathOptions _options;
    private readonly TimeProvider _time;
    private readonly ulong _lun;
    private readonly object _lock = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _usable = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Path? _current;
    private volatile int _lastUsed = -1;
    private Task _monitor = Task.CompletedTask;

    private sealed class Path(int index, IscsiSessionOptions options, string name)
    {
        public readonly int Index = index;
        public readonly IscsiSessionOptions Options = options;
        public readonly string Name = name;
        public volatile IscsiSession? Session;
        public ushort? Group;
        public long NextReconnect;
        public long NextRefresh;
    }

    private MultipathSession(IReadOnlyList<IscsiSessionOptions> paths, ulong lun, MultipathOptions options)
    {
        _options = options;
        _lun = lun;
        _time = paths[0].TimeProvider;
        _selector = new PathSelector(paths.Count);
        _paths = new Path[paths.Count];
        for (int i = 0; i < paths.Count; i++)
        {
            IscsiSessionOptions copy = paths[i].Clone();
            copy.ReplacementTimeout = options.PathFailTimeout;
            _paths[i] = new Path(i, copy, copy.Portal?.ToString() ?? $"path {i}");
        }
    }

    /// <summary>Raised on the first command completed on a path other than the one used before (on the completing thread).</summary>
    public event Action<MultipathFailover>? FailedOver;

    /// <summary>The paths, in the order given, with their state now.</summary>
    public IReadOnlyList<MultipathPathStatus> Paths
    {
        get
        {
            lock (_lock)
            {
                Reevaluate();
                var list = new MultipathPathStatus[_paths.Length];
                for (int i = 0; i < _paths.Length; i++)
                {
                    list[i] = new MultipathPathStatus(_paths[i].Name, _selector.IsUp(i), _paths[i].Group, _selector.StateOf(i), _selector.IsStale(i), _selector.Current == i);
                }

                return list;
            }
        }
    }

    /// <summary>
    /// Logs in on every path (in parallel) and reads each one's ALUA state. Succeeds when at least one path logs in
    /// (the others are retried in the background); throws the first path's error when none does.
    /// </summary>
    /// <param name="paths">One set of session options per portal, for the same target (the order is the preference among equals).</param>
    /// <param name="lun">The LUN whose ALUA state chooses the path.</param>
    /// <param name="options">Multipath timing; null for the defaults.</param>
    /// <param name="cancellationToken">Aborts the logins.</param>
    public static async Task<MultipathSession> ConnectAsync(IReadOnlyList<IscsiSessionOptions> paths, ulong lun, MultipathOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0)
        {
            throw new ArgumentException("At least one path.", nameof(paths));
        }

        var session = new MultipathSession(paths, lun, options ?? new MultipathOptions());
        Task<Exception?>[] logins = Array.ConvertAll(session._paths, path => session.TryBringUpAsync(path, cancellationToken));
        Exception?[] errors = await Task.WhenAll(logins).ConfigureAwait(false);
        if (Array.TrueForAll(errors, e => e is not null))
        {
            await session.DisposeAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            throw errors[0]!;
        }

        session._monitor = Task.Run(session.MonitorAsync, CancellationToken.None);
        return session;
    }

    /// <inheritdoc/>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ReadAsync(ulong lun, ulong lba, uint blocks, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        bool reissued = false;
        int refusals = 0;
        while (true)
        {
            (Path path, IscsiSession session) = TrySelect(out Path? p, out IscsiSession? s) ? (p!, s!) : await WaitForPathAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await session.ReadAsync(lun, lba, blocks, buffer, cancellationToken).ConfigureAwait(false);
                Completed(path);
                return;
            }
            catch (Exception e) when (Retry(path, session, e, ref reissued, ref refusals, cancellationToken))
            {
            }
        }
    }

    /// <inheritdoc/>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<PooledReadBuffer> ReadPooledAsync(ulong lun, ulong lba, uint blocks, CancellationToken cancellationToken = default)
    {
        bool reissued = false;
        int refusals = 0;
        while (true)
        {
            (Path path, IscsiSession session) = TrySelect(out Path? p, out IscsiSession? s) ? (p!, s!) : await WaitForPathAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                PooledReadBuffer data = await session.ReadPooledAsync(lun, lba, blocks, cancellationToken).ConfigureAwait(false);
                Completed(path);
                return data;
            }
            catch (Exception e) when (Retry(path, session, e, ref reissued, ref refusals, cancellationToken))
            {
            }
        }
    }

    /// <inheritdoc/>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteAsync(ulong lun, ulong lba, ReadOnlyMemory<byte> data, bool fua = false, CancellationToken cancellationToken = default)
    {
        bool reissued = false;
        int refusals = 0;
        while (true)
        {
            (Path path, IscsiSession session) = TrySelect(out Path? p, out IscsiSession? s) ? (p!, s!) : await WaitForPathAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await session.WriteAsync(lun, lba, data, fua, cancellationToken).ConfigureAwait(false);
                Completed(path);
                return;
            }
            catch (Exception e) when (Retry(path, session, e, ref reissued, ref refusals, cancellationToken))
            {
            }
        }
    }

    /// <inheritdoc/>
    public async Task<ReadCapacityResult> ReadCapacityAsync(ulong lun, CancellationToken cancellationToken = default)
    {
        bool reissued = false;
        int refusals = 0;
        while (true)
        {
            (Path path, IscsiSession session) = TrySelect(out Path? p, out IscsiSession? s) ? (p!, s!) : await WaitForPathAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                ReadCapacityResult result = await session.ReadCapacityAsync(lun, cancellationToken).ConfigureAwait(false);
                Completed(path);
                return result;
            }
            catch (Exception e) when (Retry(path, session, e, ref reissued, ref refusals, cancellationToken))
            {
            }
        }
    }

    /// <summary>The chosen path if its session runs: the per-command fast path (no lock of ours).</summary>
    private bool TrySelect(out Path? path, out IscsiSession? session)
    {
        path = _current;
        session = path?.Session;
        return session is not null && session.State == IscsiSessionState.Running;
    }

    private void Completed(Path path)
    {
        if (_lastUsed == path.Index)
        {
            return;
        }

        MultipathFailover? failover = null;
        lock (_lock)
        {
            int from = _lastUsed;
            _lastUsed = path.Index;
            _selector.Completed(path.Index);
            if (from >= 0 && from != path.Index)
            {
                failover = new MultipathFailover(_paths[from].Name, path.Name, _time.GetUtcNow());
            }
        }

        if (failover is not null)
        {
            FailedOver?.Invoke(failover);
        }
    }

    /// <summary>Whether a failed command goes again (on whatever path is chosen then); updates the path's standing.</summary>
    private bool Retry(Path path, IscsiSession session, Exception error, ref bool reissued, ref int refusals, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested || _stop.IsCancellationRequested)
        {
            return false;
        }

        if (error is IscsiConnectionException or ObjectDisposedException)
        {
            // The path's session gave up: the command's fate is unknown. Re-issue it once elsewhere.
            lock (_lock)
            {
                Reevaluate();
            }

            Wake();
            if (reissued)
            {
                return false;
            }

            reissued = true;
            return true;
        }

        if (error is ScsiCommandException { Result: var result } && IsStateRefusal(result))
        {
            lock (_lock)
            {
                if (path.Session == session)
                {
                    _selector.StateChanged(path.Index);
                    UpdateCurrentLocked();
                }
            }

            Wake();
            return ++refusals <= _options.MaxStateRefusals;
        }

        return false;
    }

    /// <summary>NOT READY, LOGICAL UNIT NOT ACCESSIBLE: ASYMMETRIC ACCESS STATE TRANSITION / TARGET PORT IN STANDBY / UNAVAILABLE STATE.</summary>
    public static bool IsStateRefusal(in ScsiResult result) =>
        result.Response == 0 && result.Status == ScsiStatus.CheckCondition && result.TryDecodeSense(out SenseKey key, out byte asc, out byte ascq)
        && key == SenseKey.NotReady && asc == 0x04 && ascq is 0x0A or 0x0B or 0x0C;

    private async ValueTask<(Path, IscsiSession)> WaitForPathAsync(CancellationToken cancellationToken)
    {
        long start = _time.GetTimestamp();
        while (true)
        {
            Task usable;
            lock (_lock)
            {
                Reevaluate();
                if (TrySelect(out Path? path, out IscsiSession? session))
                {
                    return (path!, session!);
                }

                ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
                usable = _usable.Task;
            }

            Wake();
            TimeSpan remaining = _options.NoPathTimeout - _time.GetElapsedTime(start);
            if (remaining <= TimeSpan.Zero)
            {
                throw new IscsiConnectionException($"No usable path to LUN {_lun} within {_options.NoPathTimeout.TotalSeconds:0.#} s ({Describe()}).");
            }

            try
            {
                await usable.WaitAsync(remaining < _options.FastRefreshInterval ? remaining : _options.FastRefreshInterval, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }
    }

    private string Describe()
    {
        lock (_lock)
        {
            return string.Join(", ", _paths.Select(p => $"{p.Name}: {(_selector.IsUp(p.Index) ? _selector.StateOf(p.Index) is { } s ? AsymmetricAccessStates.Name(s) : "up" : "down")}"));
        }
    }

    /// <summary>Paths whose session no longer runs are down. Under the lock.</summary>
    private void Reevaluate()
    {
        bool changed = false;
        foreach (Path path in _paths)
        {
            if (_selector.IsUp(path.Index) && path.Session is not { State: IscsiSessionState.Running })
            {
                _selector.PathDown(path.Index);
                changed = true;
            }
        }

        if (changed)
        {
            UpdateCurrentLocked();
        }
    }

    private void UpdateCurrentLocked()
    {
        Path? current = _selector.Current >= 0 ? _paths[_selector.Current] : null;
        _current = current;
        if (current is not null)
        {
            _usable.TrySetResult();
        }
        else if (_usable.Task.IsCompleted)
        {
            _usable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Logs <paramref name="path"/> in and reads its state; null on success, else the error (the path stays down).</summary>
    private async Task<Exception?> TryBringUpAsync(Path path, CancellationToken cancellationToken)
    {
        IscsiSession? session = null;
        try
        {
            session = await IscsiSession.ConnectAsync(path.Options, cancellationToken).ConfigureAwait(false);
            session.UnitAttention += (_, asc, ascq) => OnUnitAttention(path, asc, ascq);
            (ushort? group, AsymmetricAccessState? state) = await ReadStateAsync(session, path.Group, cancellationToken).ConfigureAwait(false);
            IscsiSession? old;
            lock (_lock)
            {
                old = path.Session;
                path.Session = session;
                path.Group = group;
                _selector.PathUp(path.Index, state);
                UpdateCurrentLocked();
            }

            if (old is not null)
            {
                await old.DisposeAsync().ConfigureAwait(false);
            }

            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (session is not null)
            {
                await session.DisposeAsync().ConfigureAwait(false);
            }

            path.NextReconnect = _time.GetTimestamp() + (long)(_options.ReconnectInterval.TotalSeconds * _time.TimestampFrequency);
            return e;
        }
    }

    private void OnUnitAttention(Path path, byte asc, byte ascq)
    {
        // ASYMMETRIC ACCESS STATE CHANGED, IMPLICIT ASYMMETRIC ACCESS STATE TRANSITION FAILED.
        if (asc == 0x2A && ascq is 0x06 or 0x07)
        {
            lock (_lock)
            {
                _selector.StateChanged(path.Index);
                UpdateCurrentLocked();
            }

            Wake();
        }
    }

    /// <summary>The group of the session's port and that group's state; (null, null) for a unit without ALUA.</summary>
    private async Task<(ushort? Group, AsymmetricAccessState? State)> ReadStateAsync(IscsiSession session, ushort? knownGroup, CancellationToken cancellationToken)
    {
        ushort? group = knownGroup;
        if (group is null)
        {
            byte[] vpd = new byte[VpdAllocation];
            byte[] inquiry = new byte[Scsi.Commands.InquiryCdb.Length];
            Scsi.Commands.InquiryCdb.VitalProductData(Scsi.Commands.VpdPage.DeviceIdentification, VpdAllocation).WriteTo(inquiry);
            ScsiResult vpdResult = await ExecuteRetryingAttentionAsync(session, inquiry, vpd, cancellationToken).ConfigureAwait(false);
            if (!vpdResult.IsGood || !AluaPages.TryGetPortGroup(vpd.AsSpan(0, vpdResult.DataInLength), out ushort found))
            {
                return (null, null);
            }

            group = found;
        }

        byte[] data = new byte[RtpgAllocation];
        byte[] cdb = new byte[12];
        AluaPages.BuildReportTargetPortGroups(cdb, RtpgAllocation);
        ScsiResult result = await ExecuteRetryingAttentionAsync(session, cdb, data, cancellationToken).ConfigureAwait(false);
        if (!result.IsGood)
        {
            return (group, null);
        }

        return AluaPages.TryGetGroupState(data.AsSpan(0, result.DataInLength), group.Value, out AsymmetricAccessState state)
            ? (group, state)
            : (group, AsymmetricAccessState.Unavailable);
    }

    private async Task<ScsiResult> ExecuteRetryingAttentionAsync(IscsiSession session, byte[] cdb, byte[] data, CancellationToken cancellationToken)
    {
        ScsiResult result = default;
        for (int attempt = 0; attempt < 4; attempt++)
        {
            result = await session.ExecuteAsync(_lun, cdb, data, default, cancellationToken).ConfigureAwait(false);
            if (result.IsGood || result.SenseKey != SenseKey.UnitAttention)
            {
                break;
            }
        }

        return result;
    }

    private async Task MonitorAsync()
    {
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            bool fast;
            lock (_lock)
            {
                Reevaluate();
                fast = _selector.NeedsRefresh;
            }

            long now = _time.GetTimestamp();
            foreach (Path path in _paths)
            {
                IscsiSession? session = path.Session;
                try
                {
                    if (session is null || session.State is IscsiSessionState.Failed or IscsiSessionState.Closed)
                    {
                        if (now >= path.NextReconnect)
                        {
                            using var login = CancellationTokenSource.CreateLinkedTokenSource(stop);
                            login.CancelAfter(path.Options.LoginTimeout);
                            _ = await TryBringUpAsync(path, login.Token).ConfigureAwait(false);
                        }
                    }
                    else if (session.State == IscsiSessionState.Running && (fast || _selector.IsStale(path.Index) || now >= path.NextRefresh))
                    {
                        path.NextRefresh = now + (long)(_options.StateRefreshInterval.TotalSeconds * _time.TimestampFrequency);
                        using var read = CancellationTokenSource.CreateLinkedTokenSource(stop);
                        read.CancelAfter(path.Options.CommandTimeout > TimeSpan.Zero ? path.Options.CommandTimeout : TimeSpan.FromSeconds(30));
                        (ushort? group, AsymmetricAccessState? state) = await ReadStateAsync(session, path.Group, read.Token).ConfigureAwait(false);
                        lock (_lock)
                        {
                            if (path.Session == session && session.State == IscsiSessionState.Running)
                            {
                                path.Group = group;
                                if (_selector.IsUp(path.Index))
                                {
                                    _selector.StateRead(path.Index, state);
                                }
                                else
                                {
                                    _selector.PathUp(path.Index, state);
                                }

                                UpdateCurrentLocked();
                            }
                        }
                    }
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // The path's trouble shows in its session's state; the next round looks again.
                }
            }

            bool refreshSoon;
            lock (_lock)
            {
                refreshSoon = _selector.NeedsRefresh;
            }

            try
            {
                await _wake.WaitAsync(refreshSoon ? _options.FastRefreshInterval : Min(_options.StateRefreshInterval, _options.ReconnectInterval), stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>Logs every path out (failures ignored) and closes them.</summary>
    public async Task LogoutAsync(CancellationToken cancellationToken = default)
    {
        await StopMonitorAsync().ConfigureAwait(false);
        await Task.WhenAll(_paths.Select(async path =>
        {
            if (path.Session is { State: IscsiSessionState.Running } session)
            {
                try
                {
                    await session.LogoutAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Logged out or not, DisposeAsync closes the connection.
                }
            }
        })).ConfigureAwait(false);
    }

    private async Task StopMonitorAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        await _monitor.ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopMonitorAsync().ConfigureAwait(false);
        foreach (Path path in _paths)
        {
            if (path.Session is { } session)
            {
                await session.DisposeAsync().ConfigureAwait(false);
            }
        }

        lock (_lock)
        {
            _usable.TrySetResult();
        }
    }
}
