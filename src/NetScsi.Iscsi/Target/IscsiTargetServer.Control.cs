using System.Collections.Frozen;
using Microsoft.Extensions.Logging;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Login;
using NetScsi.Scsi;
using NetScsi.Scsi.Metrics;
using NetScsi.Transport;

namespace NetScsi.Iscsi.Target;

/// <summary>What a running target is asked to change (the control plane): LUN and ACL sets, portals, sessions.</summary>
public sealed partial class IscsiTargetServer
{
    private readonly HashSet<IDataMoverListener> _removedListeners = new();

    private bool IsRemoved(IDataMoverListener listener)
    {
        lock (_lock)
        {
            return _removedListeners.Contains(listener);
        }
    }

    /// <summary>
    /// Publishes a new LUN set for <paramref name="target"/> (one store each: readers see the old set or the new)
    /// and moves every live session onto it: the full device, each ACL's view, the task manager and the metrics.
    /// Units that left get no more commands from a new task; <see cref="NotifyReportedLunsChanged"/> tells initiators.
    /// </summary>
    public void ReplaceLuns(TargetDefinition target, IEnumerable<LunMapping> luns)
    {
        ArgumentNullException.ThrowIfNull(target);
        var list = luns.ToList();
        // Built before anything is published, so a bad set (duplicate or out-of-range number) changes nothing.
        var full = new ScsiTargetDevice(ToPairs(list, null));
        lock (_lock)
        {
            target.Luns.ReplaceAll(list);
            _devices[target.Name] = full;
            _taskManagers[target.Name].ReplaceDevice(full);
            var oldMetrics = _lunMetrics[target.Name];
            _lunMetrics[target.Name] = list.ToFrozenDictionary(
                l => l.Number,
                l => oldMetrics.TryGetValue(l.Number, out var kept) ? kept : new LunMetrics(target.Name, l.Number));
            RebindSessionsLocked(target);
        }
    }

    /// <summary>
    /// Publishes a new ACL set for <paramref name="target"/> and ends the sessions of initiators it no longer admits;
    /// the others move onto their (possibly changed) LUN view. Returns the sessions ended.
    /// </summary>
    public int ReplaceAcls(TargetDefinition target, IEnumerable<InitiatorAcl> acls)
    {
        ArgumentNullException.ThrowIfNull(target);
        var list = acls.ToList();
        List<TargetSession> ended = new();
        lock (_lock)
        {
            target.Acls.ReplaceAll(list);
            RebindSessionsLocked(target);
            if (list.Count > 0)
            {
                foreach (var session in _sessions.Values)
                {
                    if (session.Target == target && TargetLoginStateMachine.FindAcl(target, session.Parameters.InitiatorName) is null)
                    {
                        ended.Add(session);
                    }
                }
            }
        }
        foreach (var session in ended)
        {
            LogSessionEnded(_logger, session.Parameters.InitiatorName, session.Tsih, "its ACL was removed");
            session.CloseConnections();
        }
        return ended.Count;
    }

    /// <summary>REPORTED LUNS DATA HAS CHANGED (SPC-4 §6.33) on every unit of the target, for every nexus.</summary>
    public void NotifyReportedLunsChanged(TargetDefinition target)
    {
        ScsiTargetDevice device;
        lock (_lock)
        {
            device = _devices[target.Name];
        }
        device.OnEvent(LogicalUnitEvent.ReportedLunsDataChanged, null);
    }

    // Every session of the target gets a fresh view: ACL views are rebuilt from the current LUNs and ACLs.
    private void RebindSessionsLocked(TargetDefinition target)
    {
        var prefix = target.Name + "\n";
        foreach (var key in _devices.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList())
        {
            _devices.Remove(key);
        }
        var metrics = _lunMetrics[target.Name];
        foreach (var session in _sessions.Values)
        {
            if (session.Target != target)
            {
                continue;
            }
            var acl = target.Acls.Count > 0 ? TargetLoginStateMachine.FindAcl(target, session.Parameters.InitiatorName) : null;
            session.Device = GetDevice(target, acl);
            session.LunMetrics = metrics;
        }
    }

    /// <summary>Who uses <paramref name="unit"/> now: sessions whose view holds it, and commands in flight to it.</summary>
    public (int Sessions, int CommandsInFlight) UsageOf(TargetDefinition target, ILogicalUnit unit)
    {
        int sessions = 0, commands = 0;
        foreach (var session in SessionsOf(target))
        {
            bool sees = false;
            foreach (var entry in session.Device.LogicalUnits)
            {
                sees |= ReferenceEquals(entry.Value, unit);
            }
            if (sees)
            {
                sessions++;
                commands += session.CommandsFor(unit);
            }
        }
        return (sessions, commands);
    }

    /// <summary>
    /// Aborts every session's tasks on <paramref name="unit"/> (a forced LUN removal) and waits up to
    /// <paramref name="wait"/> for the executing ones to stop.
    /// </summary>
    public async Task AbortTasksOnAsync(TargetDefinition target, ILogicalUnit unit, TimeSpan wait)
    {
        var stopped = new List<Task>();
        foreach (var session in SessionsOf(target))
        {
            session.AbortTasks(unit, null, stopped);
        }
        try
        {
            await Task.WhenAll(stopped).WaitAsync(wait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }

    /// <summary>The live normal sessions, for <c>session list</c>.</summary>
    public IReadOnlyList<TargetSessionInfo> GetSessions()
    {
        List<TargetSession> sessions;
        lock (_lock)
        {
            sessions = _sessions.Values.OrderBy(s => s.Tsih).ToList();
        }
        return sessions.ConvertAll(s => new TargetSessionInfo(
            s.Target.Name,
            s.Parameters.InitiatorName,
            s.Isid,
            s.Tsih,
            s.ConnectionCount,
            s.FirstConnection?.Portal?.ToString(),
            s.FirstConnection?.RemoteName,
            s.Parameters.HeaderDigest,
            s.Parameters.DataDigest,
            s.Parameters.NegotiatedKeys.ToList(),
            s.InFlight,
            s.Device.LogicalUnits.Select(e => e.Key).ToList()));
    }

    /// <summary>Ends the session with TSIH <paramref name="tsih"/> (its connection closes); false when there is none.</summary>
    public bool DropSession(ushort tsih)
    {
        TargetSession? session;
        lock (_lock)
        {
            _sessions.TryGetValue(tsih, out session);
        }
        if (session is null)
        {
            return false;
        }
        LogSessionEnded(_logger, session.Parameters.InitiatorName, session.Tsih, "dropped by the administrator");
        if (session.FirstConnection is { } connection)
        {
            // RFC 7143 §11.9.1 AsyncEvent 3: the initiator learns why and when it may come back (Time2Wait), on one
            // connection for all of them.
            _ = AnnounceThenCloseAsync(session, connection);
        }
        else
        {
            EndSession(session);
        }
        return true;
    }

    /// <summary>
    /// Asks the session with TSIH <paramref name="tsih"/> to log out within <paramref name="seconds"/>
    /// (AsyncEvent 1, RFC 7143 §11.9.1), as before maintenance; false when there is no such session in full feature phase.
    /// </summary>
    public async Task<bool> RequestLogoutAsync(ushort tsih, int seconds)
    {
        TargetSession? session;
        lock (_lock)
        {
            _sessions.TryGetValue(tsih, out session);
        }
        bool asked = false;
        foreach (var connection in session?.Connections ?? [])
        {
            // AsyncEvent 1 is about the connection it comes on (§11.9.1): each of the session's connections is asked.
            if (connection.IsFullFeature)
            {
                await connection.RequestLogoutAsync(seconds).ConfigureAwait(false);
                asked = true;
            }
        }
        return asked;
    }

    private static async Task AnnounceThenCloseAsync(TargetSession session, TargetConnection connection)
    {
        await connection.AnnounceDropAsync(allConnections: true).ConfigureAwait(false);
        connection.Close();
        session.CloseConnections();
    }

    /// <summary>Starts listening on one more portal (through the transport of its kind). Returns the bound portal.</summary>
    public async Task<Portal> AddPortalAsync(Portal portal, CancellationToken cancellationToken = default)
    {
        var listener = await FindTransport(portal).ListenAsync(portal, cancellationToken).ConfigureAwait(false);
        AddListener(listener);
        return listener.Portal;
    }

    /// <summary>Stops listening on <paramref name="portal"/>; sessions that came in through it go on. False when not listening there.</summary>
    public async Task<bool> RemovePortalAsync(Portal portal)
    {
        IDataMoverListener? found = null;
        lock (_lock)
        {
            foreach (var listener in _listeners)
            {
                if (listener.Portal.Equals(portal))
                {
                    found = listener;
                    break;
                }
            }
            if (found is null)
            {
                return false;
            }
            _listeners.Remove(found);
            _removedListeners.Add(found);
        }
        await found.DisposeAsync().ConfigureAwait(false);
        LogPortalRemoved(_logger, portal.ToString());
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session of {Initiator} (TSIH {Tsih}) ended: {Reason}")]
    private static partial void LogSessionEnded(ILogger logger, string initiator, ushort tsih, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "No longer listening on {Portal}")]
    private static partial void LogPortalRemoved(ILogger logger, string portal);
}

/// <summary>One live session, as <c>netscsi target session list</c> shows it.</summary>
/// <param name="Target">Target name.</param>
/// <param name="Initiator">InitiatorName.</param>
/// <param name="Isid">The initiator's session id (48 bits).</param>
/// <param name="Tsih">Target session identifying handle.</param>
/// <param name="Connections">Connections of the session now (up to its MaxConnections).</param>
/// <param name="Portal">The portal its first connection came in on.</param>
/// <param name="Remote">The initiator's address on its first connection.</param>
/// <param name="HeaderDigest">CRC32C on headers.</param>
/// <param name="DataDigest">CRC32C on data.</param>
/// <param name="Negotiated">The keys negotiated at login, in order.</param>
/// <param name="CommandsInFlight">Commands received and not yet answered.</param>
/// <param name="Luns">The LUNs the session sees.</param>
public sealed record TargetSessionInfo(
    string Target,
    string Initiator,
    ulong Isid,
    ushort Tsih,
    int Connections,
    string? Portal,
    string? Remote,
    bool HeaderDigest,
    bool DataDigest,
    IReadOnlyList<KeyValuePair<string, string>> Negotiated,
    int CommandsInFlight,
    IReadOnlyList<int> Luns);
