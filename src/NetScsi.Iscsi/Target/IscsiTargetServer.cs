using System.Collections.Frozen;
using Microsoft.Extensions.Logging;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Login;
using NetScsi.Iscsi.Pdus;
using NetScsi.Iscsi.Session;
using NetScsi.Scsi;
using NetScsi.Scsi.Metrics;
using NetScsi.Scsi.TaskManagement;
using NetScsi.Transport;
using IscsiFunction = NetScsi.Iscsi.Pdus.TaskManagementFunction;
using SamFunction = NetScsi.Scsi.TaskManagement.TaskManagementFunction;

namespace NetScsi.Iscsi.Target;

/// <summary>
/// The iSCSI target: accepts connections on its portals, runs login, sessions and the data path,
/// and hands SCSI commands to the logical units of <see cref="IscsiTargetOptions.Targets"/>.
/// </summary>
public sealed partial class IscsiTargetServer : IAsyncDisposable
{
    private readonly IscsiTargetOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly List<IDataMoverListener> _listeners = new();
    private readonly List<Task> _acceptLoops = new();
    private readonly object _lock = new();
    private readonly HashSet<TargetConnection> _connections = new();
    private readonly List<Task> _connectionTasks = new();
    private readonly Dictionary<ushort, TargetSession> _sessions = new();
    private readonly Dictionary<string, ScsiTargetDevice> _devices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskManager> _taskManagers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FrozenDictionary<int, LunMetrics>> _lunMetrics = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConnectionAdmission _admission;
    private ushort _lastTsih;
    private bool _started;

    public IscsiTargetServer(IscsiTargetOptions options, ILoggerFactory loggerFactory, TimeProvider? timeProvider = null)
    {
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<IscsiTargetServer>();
        _time = timeProvider ?? TimeProvider.System;
        _admission = new ConnectionAdmission(options.Limits);
        foreach (var target in options.Targets)
        {
            var device = new ScsiTargetDevice(ToPairs(target.Luns, null));
            _devices[target.Name] = device;
            _taskManagers[target.Name] = new TaskManager(device);
            _lunMetrics[target.Name] = target.Luns.ToFrozenDictionary(l => l.Number, l => new LunMetrics(target.Name, l.Number));
        }
    }

    public IscsiTargetOptions Options => _options;

    /// <summary>Where the server listens (after <see cref="StartAsync"/>): the bound portals and added listeners.</summary>
    public IReadOnlyList<Portal> ListeningPortals
    {
        get
        {
            lock (_lock)
            {
                return _listeners.ConvertAll(l => l.Portal);
            }
        }
    }

    /// <summary>
    /// What SendTargets reports (RFC 7143 §13.8 TargetAddress without the tag) to an initiator asking over
    /// <paramref name="via"/>: every portal it can address, each once.
    /// </summary>
    internal IReadOnlyList<string> TargetAddresses(IDataMoverConnection via)
    {
        lock (_lock)
        {
            var addresses = new List<string>();
            foreach (var listener in _listeners)
            {
                if (listener.FormatTargetAddress(via) is { } address && !addresses.Contains(address))
                {
                    addresses.Add(address);
                }
            }
            return addresses;
        }
    }

    /// <summary>Number of live normal sessions.</summary>
    public int SessionCount
    {
        get
        {
            lock (_lock)
            {
                return _sessions.Count;
            }
        }
    }

    /// <summary>Binds every portal of the options through its transport and starts accepting.</summary>
    /// <exception cref="InvalidOperationException">No transport of the options serves a portal.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_started)
        {
            throw new InvalidOperationException("The target server is already started.");
        }
        _started = true;
        var bound = new List<IDataMoverListener>();
        try
        {
            foreach (var portal in _options.Portals)
            {
                var transport = FindTransport(portal);
                bound.Add(await transport.ListenAsync(portal, cancellationToken).ConfigureAwait(false));
            }
        }
        catch
        {
            foreach (var listener in bound)
            {
                await listener.DisposeAsync().ConfigureAwait(false);
            }
            throw;
        }
        foreach (var listener in bound)
        {
            AddListener(listener);
        }
    }

    private IDataMoverTransport FindTransport(Portal portal)
    {
        foreach (var transport in _options.Transports)
        {
            if (transport.Name == portal.Transport)
            {
                return transport;
            }
        }
        throw new InvalidOperationException($"No transport serves the portal {portal} ({portal.Transport}).");
    }

    /// <summary>Serves connections from another data mover (in-memory transports in tests and benchmarks).</summary>
    public void AddListener(IDataMoverListener listener)
    {
        lock (_lock)
        {
            _listeners.Add(listener);
            _acceptLoops.Add(AcceptLoopAsync(listener));
        }
        LogListening(_logger, listener.Portal.ToString());
    }

    /// <summary>Stops accepting, ends every connection, waits for them, and flushes the logical units.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        bool first = !_stopping.IsCancellationRequested;
        List<IDataMoverListener> listeners;
        List<Task> loops;
        List<TargetConnection> connections;
        lock (_lock)
        {
            listeners = new(_listeners);
            loops = new(_acceptLoops);
        }
        foreach (var listener in listeners)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }
        if (first)
        {
            // No new connections now; the open ones are asked to log out before stopping ends them all.
            lock (_lock)
            {
                connections = new(_connections);
            }
            await AskForLogoutsAsync(connections, cancellationToken).ConfigureAwait(false);
            _stopping.Cancel();
        }
        await Task.WhenAll(loops).WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            connections = new(_connections);
        }
        foreach (var connection in connections)
        {
            connection.Close();
        }
        Task[] running;
        lock (_lock)
        {
            running = _connectionTasks.ToArray();
        }
        await Task.WhenAll(running).WaitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var target in _options.Targets)
        {
            foreach (var lun in target.Luns)
            {
                await lun.Unit.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// RFC 7143 §11.9.1: asks every full-feature connection to log out (AsyncEvent 1), waits up to
    /// <see cref="IscsiTargetOptions.LogoutGracePeriod"/> for them to, then announces the drop (AsyncEvent 2) on those
    /// still open. The caller closes what is left.
    /// </summary>
    private async Task AskForLogoutsAsync(List<TargetConnection> connections, CancellationToken cancellationToken)
    {
        TimeSpan grace = _options.LogoutGracePeriod;
        List<TargetConnection> asked = connections.FindAll(c => c.IsFullFeature && !c.Closed.IsCancellationRequested);
        if (grace <= TimeSpan.Zero || asked.Count == 0)
        {
            return;
        }
        int seconds = (int)Math.Max(1, Math.Ceiling(grace.TotalSeconds));
        foreach (TargetConnection connection in asked)
        {
            await connection.RequestLogoutAsync(seconds).ConfigureAwait(false);
        }
        LogAskedForLogout(_logger, asked.Count, seconds);

        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        waiting.CancelAfter(grace);
        try
        {
            await Task.WhenAll(asked.Select(c => Task.Delay(Timeout.Infinite, c.Closed).ContinueWith(static _ => { }, TaskScheduler.Default)))
                .WaitAsync(waiting.Token).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        foreach (TargetConnection connection in asked)
        {
            if (!connection.Closed.IsCancellationRequested)
            {
                await connection.AnnounceDropAsync(allConnections: false).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: asked {Count} connection(s) to log out within {Seconds} s")]
    private static partial void LogAskedForLogout(ILogger logger, int count, int seconds);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(IDataMoverListener listener)
    {
        var backoff = new AcceptBackoff();
        long refused = 0;
        while (!_stopping.IsCancellationRequested && !IsRemoved(listener))
        {
            ITargetDataMover? transport;
            try
            {
                transport = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                // EMFILE/ENFILE/ENOBUFS fail every retry until something is freed: pause, and keep serving.
                var pause = backoff.Fail();
                if (backoff.IsFirstFailure)
                {
                    LogAcceptFailed(_logger, e.Message);
                }
                try
                {
                    await Task.Delay(pause, _time, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            if (transport is null)
            {
                return;
            }
            backoff.Succeed();
            if (!_admission.TryAdmit(transport.PeerAddress, out var ticket, out var refusal))
            {
                // Over a limit: close at once (no login PDU has been read, so no login response is owed).
                if (refused++ % RefusalLogInterval == 0)
                {
                    LogConnectionRefused(_logger, transport.RemoteName, refusal, refused);
                }
                transport.Terminate();
                await transport.DisposeAsync().ConfigureAwait(false);
                continue;
            }
            var connection = new TargetConnection(this, transport, _loggerFactory.CreateLogger<TargetConnection>(), _time) { Admission = ticket, Portal = listener.Portal };
            lock (_lock)
            {
                _connections.Add(connection);
                IscsiMeter.Connections.Add(1);
                var run = RunConnectionAsync(connection);
                _connectionTasks.Add(run);
            }
        }
    }

    /// <summary>Refused connections are logged once per this many, so a flood cannot flood the log.</summary>
    private const int RefusalLogInterval = 1000;

    private async Task RunConnectionAsync(TargetConnection connection)
    {
        await Task.Yield();
        try
        {
            await connection.RunAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Last line of defence: one connection's failure must never take the target down.
            LogConnectionCrashed(_logger, connection.RemoteName, e);
        }
        finally
        {
            connection.Admission?.Dispose();
            lock (_lock)
            {
                _connections.Remove(connection);
                IscsiMeter.Connections.Add(-1);
                _connectionTasks.RemoveAll(static t => t.IsCompleted);
            }
        }
    }

    /// <summary>The SCSI device a session of <paramref name="target"/> sees: all LUNs, or the ACL's subset.</summary>
    internal ScsiTargetDevice GetDevice(TargetDefinition target, InitiatorAcl? acl)
    {
        lock (_lock)
        {
            if (acl?.Luns is null)
            {
                return _devices[target.Name];
            }
            string key = target.Name + "\n" + acl.InitiatorName;
            if (!_devices.TryGetValue(key, out var device))
            {
                device = new ScsiTargetDevice(ToPairs(target.Luns, acl.Luns));
                _devices[key] = device;
            }
            return device;
        }
    }

    private static IEnumerable<KeyValuePair<int, ILogicalUnit>> ToPairs(IEnumerable<LunMapping> luns, IReadOnlyList<int>? visible)
    {
        foreach (var lun in luns)
        {
            if (visible is null || visible.Contains(lun.Number))
            {
                yield return new KeyValuePair<int, ILogicalUnit>(lun.Number, lun.Unit);
            }
        }
    }

    /// <summary>
    /// Creates the session for a completed leading login. Same InitiatorName + ISID + target with TSIH 0
    /// reinstates (RFC 7143 §6.3.5): the old session is closed, its tasks aborted and its I_T nexus ended first.
    /// </summary>
    /// <returns>Null when <see cref="IscsiTargetOptions.Limits"/> allow no more sessions of the target or from the address.</returns>
    internal TargetSession? CreateSession(TargetConnection connection, TargetDefinition target, InitiatorAcl? acl, IscsiSessionParameters parameters, ulong isid, uint firstCmdSN)
    {
        TargetSession? old = null;
        TargetSession session;
        string? address = connection.Admission?.Address;
        lock (_lock)
        {
            int ofTarget = 0, fromAddress = 0;
            foreach (var existing in _sessions.Values)
            {
                if (existing.Isid == isid && existing.Target == target
                    && string.Equals(existing.Parameters.InitiatorName, parameters.InitiatorName, StringComparison.Ordinal))
                {
                    old = existing;
                    continue;
                }
                ofTarget += existing.Target == target ? 1 : 0;
                fromAddress += address is not null && address.Equals(existing.FirstConnection?.Admission?.Address) ? 1 : 0;
            }
            if (!_admission.AllowsSession(ofTarget, fromAddress, out var refusal))
            {
                LogSessionRefused(_logger, connection.RemoteName, target.Name, refusal);
                return null;
            }
            if (target.Acls.Count > 0)
            {
                // The ACL may have been removed (or changed) by the control plane while this login ran.
                acl = TargetLoginStateMachine.FindAcl(target, parameters.InitiatorName);
                if (acl is null)
                {
                    LogSessionRefused(_logger, connection.RemoteName, target.Name, "the initiator's ACL was removed during login");
                    return null;
                }
            }
            if (old is not null)
            {
                _sessions.Remove(old.Tsih);
            }
            ushort tsih = AllocateTsih();
            session = new TargetSession(this, target, GetDevice(target, acl), parameters, isid, tsih, firstCmdSN, _options.QueueDepth, _options.SessionBufferBudget, _loggerFactory.CreateLogger<TargetSession>());
            session.TryAddConnection(connection, connection.Cid, out _);
            session.LunMetrics = _lunMetrics[target.Name];
            _sessions.Add(tsih, session);
            _taskManagers[target.Name].AddNexus(session);
            IscsiMeter.Sessions.Add(1, new KeyValuePair<string, object?>("target", target.Name));
        }
        if (old is not null)
        {
            LogReinstated(_logger, parameters.InitiatorName, isid);
            old.CloseConnections();
            old.Close();
            // SAM-5 §6.3.4: the old I_T nexus ends here, before the new session's first command, not when the
            // old connection's close is eventually read (it has left the registry, so that finds nothing).
            NexusLost(old);
        }
        return session;
    }

    /// <summary>
    /// A login with a session's TSIH adds a connection to it (RFC 7143 §6.3.1, MC/S): the session must be the
    /// initiator's (same InitiatorName, ISID and target) and below its negotiated MaxConnections. A CID already in use
    /// reinstates that connection (§6.3.4): the old one is closed, its tasks terminated (ERL 0), the session goes on.
    /// The new connection takes the session-wide values of the leading login.
    /// </summary>
    internal (TargetSession? Session, LoginStatusCode Refusal) AddConnection(TargetConnection connection, SessionBindingRequest request)
    {
        TargetSession? session;
        TargetConnection? replaced;
        lock (_lock)
        {
            if (!_sessions.TryGetValue(request.Tsih, out session) || session.Isid != request.Isid || session.Target != request.Target
                || !string.Equals(session.Parameters.InitiatorName, request.InitiatorName, StringComparison.Ordinal))
            {
                return (null, LoginStatusCode.SessionDoesNotExist);
            }
            if (!session.TryAddConnection(connection, request.Cid, out replaced))
            {
                return (null, LoginStatusCode.TooManyConnections);
            }
        }
        request.Parameters.AdoptSessionWide(session.Parameters);
        if (replaced is not null)
        {
            LogConnectionReinstated(_logger, request.InitiatorName, request.Tsih, request.Cid);
            replaced.Depart();
        }
        return (session, LoginStatusCode.Success);
    }

    /// <summary>A TSIH for a discovery session: unique among live sessions, never registered.</summary>
    internal ushort AllocateDiscoveryTsih()
    {
        lock (_lock)
        {
            return AllocateTsih();
        }
    }

    private ushort AllocateTsih()
    {
        // TSIH 0 is reserved for "new session" (RFC 7143 §11.12.5).
        do
        {
            _lastTsih++;
        }
        while (_lastTsih == 0 || _sessions.ContainsKey(_lastTsih));
        return _lastTsih;
    }

    /// <summary>
    /// A connection of <paramref name="session"/> ended. One that left on its own (Logout "close the connection", a
    /// reinstated CID, a login that failed) leaves the others running, and the session ends with its last connection.
    /// Any other loss fails the whole session (ErrorRecoveryLevel 0 recovers by session, RFC 7143 §7.1.5, §7.3.1): its
    /// other connections are dropped and its tasks end; the initiator re-opens it.
    /// </summary>
    internal void OnConnectionClosed(TargetConnection connection, TargetSession session)
    {
        int left = session.RemoveConnection(connection);
        if ((connection.Departing || !connection.IsFullFeature) && left > 0)
        {
            return;
        }
        EndSession(session);
        session.CloseConnections();
    }

    /// <summary>
    /// Ends a session: it leaves the registry, its tasks are aborted, and (once, however often this is
    /// called) its units hear of the I_T nexus loss. A logout calls it before answering, so that
    /// "closed successfully" is true when the initiator reads it; the connection's end calls it again.
    /// </summary>
    internal void EndSession(TargetSession session)
    {
        lock (_lock)
        {
            if (_sessions.TryGetValue(session.Tsih, out var registered) && registered == session)
            {
                _sessions.Remove(session.Tsih);
            }
        }
        session.Close();
        // SAM-5 §6.6: the I_T nexus is gone; units drop its reservations and note the loss.
        NexusLost(session);
    }

    private void NexusLost(TargetSession session)
    {
        if (_taskManagers[session.Target.Name].OnNexusLoss(session))
        {
            IscsiMeter.Sessions.Add(-1, new KeyValuePair<string, object?>("target", session.Target.Name));
        }
    }

    /// <summary>
    /// Runs a task management function for <paramref name="session"/> (RFC 7143 §11.5): the SAM-5 function
    /// is the SCSI layer's (<see cref="TaskManager"/>); what is iSCSI's is the mapping of function codes and
    /// responses, and ABORT TASK's treatment of a task that never arrived.
    /// </summary>
    internal TaskManagementResponse ExecuteTaskManagement(TargetSession session, in TaskManagementRequestPdu pdu, List<Task> aborted)
    {
        IscsiMeter.TaskManagement.Add(1, new KeyValuePair<string, object?>("function", pdu.Function.ToString()));
        SamFunction function;
        switch (pdu.Function)
        {
            case IscsiFunction.AbortTask: function = SamFunction.AbortTask; break;
            case IscsiFunction.AbortTaskSet: function = SamFunction.AbortTaskSet; break;
            case IscsiFunction.ClearTaskSet: function = SamFunction.ClearTaskSet; break;
            case IscsiFunction.LogicalUnitReset: function = SamFunction.LogicalUnitReset; break;
            case IscsiFunction.TargetWarmReset: function = SamFunction.TargetWarmReset; break;
            case IscsiFunction.TargetColdReset: function = SamFunction.TargetColdReset; break;
            case IscsiFunction.TaskReassign:
                // ERL 0: no connection recovery, so no task reassignment (§11.5.1).
                return TaskManagementResponse.TaskAllegianceReassignmentNotSupported;
            default:
                // CLEAR ACA and unknown functions: ACA is not supported.
                return TaskManagementResponse.FunctionNotSupported;
        }
        var outcome = _taskManagers[session.Target.Name].Execute(session, function, pdu.Lun, pdu.ReferencedTaskTag, aborted);
        if (outcome.Response == TaskManagementServiceResponse.IncorrectLogicalUnitNumber)
        {
            return TaskManagementResponse.LunDoesNotExist;
        }
        if (function == SamFunction.AbortTask && outcome.TasksAborted == 0)
        {
            // §11.5.1: a task we do not hold whose RefCmdSN is still inside the window (so it was never
            // received) is considered received and aborted: "function complete", and the window moves past
            // it. One that was received already completed, and its response went out: "task does not exist".
            return session.TryConsiderReceived(pdu.RefCmdSN, pdu.CmdSN)
                ? TaskManagementResponse.FunctionComplete
                : TaskManagementResponse.TaskDoesNotExist;
        }
        return TaskManagementResponse.FunctionComplete;
    }

    private List<TargetSession> SessionsOf(TargetDefinition target)
    {
        lock (_lock)
        {
            var list = new List<TargetSession>();
            foreach (var session in _sessions.Values)
            {
                if (session.Target == target)
                {
                    list.Add(session);
                }
            }
            return list;
        }
    }

    /// <summary>
    /// Drops every connection of <paramref name="target"/> (TARGET COLD RESET) except
    /// <paramref name="requester"/>, which closes gracefully itself so its task management response is
    /// not lost to the reset (an abort discards unsent data).
    /// </summary>
    internal void DropTargetConnections(TargetDefinition target, TargetConnection? requester = null)
    {
        foreach (var session in SessionsOf(target))
        {
            session.CloseConnections(except: requester);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening on {Portal}")]
    private static partial void LogListening(ILogger logger, string portal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accept failed: {Message}; retrying with backoff (up to 1 s) while established sessions go on")]
    private static partial void LogAcceptFailed(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refusing connection from {Remote}: {Reason} ({Count} refused so far)")]
    private static partial void LogConnectionRefused(ILogger logger, string remote, string? reason, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refusing a session of {Target} to {Remote}: {Reason}")]
    private static partial void LogSessionRefused(ILogger logger, string remote, string target, string? reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Connection {Remote} failed")]
    private static partial void LogConnectionCrashed(ILogger logger, string remote, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection {Cid} of {Initiator} (TSIH {Tsih}) reinstated")]
    private static partial void LogConnectionReinstated(ILogger logger, string initiator, ushort tsih, ushort cid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session reinstated for {Initiator} ISID {Isid:x12}")]
    private static partial void LogReinstated(ILogger logger, string initiator, ulong isid);
}
