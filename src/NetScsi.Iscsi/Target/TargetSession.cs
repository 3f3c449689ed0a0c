using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Pdus;
using NetScsi.Iscsi.Session;
using NetScsi.Scsi;
using NetScsi.Scsi.Metrics;
using NetScsi.Scsi.TaskManagement;
using NetScsi.Transport;

namespace NetScsi.Iscsi.Target;

/// <summary>
/// A normal iSCSI session on the target (RFC 7143 §4.4): the I_T nexus, the session-wide CmdSN window, the
/// commands in flight, and its connections (up to the negotiated MaxConnections, §4.2.2, each with its own StatSN).
/// Discovery sessions have no <see cref="TargetSession"/>; they never reach full-feature SCSI.
/// </summary>
internal sealed partial class TargetSession : INexusTaskSet
{
    private readonly object _lock = new();
    private readonly Dictionary<uint, TargetCommand> _commands;
    private readonly Stack<TargetCommand> _pool;
    private readonly ILogger _logger;
    private readonly int _queueDepth;
    private readonly long _bufferBudget;
    private long _bufferedBytes;
    private uint _expCmdSN;
    private uint _maxCmdSN;
    private int _inFlight;
    private TaskCompletionSource? _drained;
    private List<(TargetConnection Connection, TaskCompletionSource Drained)>? _connectionDrains;
    private readonly List<TargetConnection> _connections = new(1);
    private bool _closed;
    private ScsiTargetDevice _device;
    private IReadOnlyDictionary<int, LunMetrics> _lunMetrics = System.Collections.Frozen.FrozenDictionary<int, LunMetrics>.Empty;

    /// <summary>
    /// The reorder buffer (RFC 7143 §3.2.2.1): CmdSNs inside the window above ExpCmdSN that were received ahead of a
    /// hole. A command there waits until ExpCmdSN reaches it and is then delivered; a null value is a CmdSN already
    /// consumed (ABORT TASK told us to consider it received, §11.5.1 b, or its command was aborted or refused while it
    /// waited), which ExpCmdSN and MaxCmdSN just pass. Every key lies in (ExpCmdSN, MaxCmdSN], so it holds fewer entries
    /// than the queue depth; created on the first hole, empty in the in-order steady state.
    /// </summary>
    private Dictionary<uint, TargetCommand?>? _outOfOrder;

    /// <summary>
    /// CmdSNs accepted as held (<see cref="TryAcceptCmdSN(uint, bool, bool, out bool)"/>) whose command is not in the
    /// reorder buffer yet: ExpCmdSN may not pass one, since nothing would release its command afterwards. With several
    /// connections the command that fills the hole can arrive on another one in between (MC/S).
    /// </summary>
    private HashSet<uint>? _reserved;

    /// <summary>
    /// SCSI commands accepted in order whose handler has not yet called <see cref="ReleaseHeld"/>: while one is, the
    /// commands behind it wait for it to be handed on first, and only that call moves past them.
    /// </summary>
    private int _inOrderPending;

    public TargetSession(
        IscsiTargetServer server,
        TargetDefinition target,
        ScsiTargetDevice device,
        IscsiSessionParameters parameters,
        ulong isid,
        ushort tsih,
        uint firstCmdSN,
        int queueDepth,
        long bufferBudget,
        ILogger logger)
    {
        Server = server;
        Target = target;
        _device = device;
        Parameters = parameters;
        Isid = isid;
        Tsih = tsih;
        _queueDepth = queueDepth;
        _bufferBudget = bufferBudget;
        _logger = logger;
        _expCmdSN = firstCmdSN;
        _maxCmdSN = firstCmdSN + (uint)queueDepth - 1;
        _commands = new Dictionary<uint, TargetCommand>(queueDepth);
        _pool = new Stack<TargetCommand>(queueDepth);
        // SAM-5 §4.6.2: the initiator port is named by the iSCSI name and the ISID (SPC-4 §7.6.4.6).
        Nexus = IscsiTransportIdCodec.CreateNexus(parameters.InitiatorName, isid, parameters.TargetPortalGroupTag);
    }

    public IscsiTargetServer Server { get; }

    public TargetDefinition Target { get; }

    /// <summary>The session's LUN view; replaced (one reference store) when the target's LUNs or the ACL change.</summary>
    public ScsiTargetDevice Device
    {
        get => Volatile.Read(ref _device);
        set => Volatile.Write(ref _device, value);
    }

    public IscsiSessionParameters Parameters { get; }

    public ItNexus Nexus { get; }

    /// <summary>What each LUN of the target records per command, by LUN number.</summary>
    public IReadOnlyDictionary<int, LunMetrics> LunMetrics
    {
        get => Volatile.Read(ref _lunMetrics);
        set => Volatile.Write(ref _lunMetrics, value);
    }

    public ulong Isid { get; }

    public ushort Tsih { get; }

    /// <summary>The session's connections now, in the order they logged in (the leading one first while it lasts).</summary>
    public TargetConnection[] Connections
    {
        get
        {
            lock (_lock)
            {
                return _connections.ToArray();
            }
        }
    }

    /// <summary>The first of <see cref="Connections"/>, or null.</summary>
    public TargetConnection? FirstConnection
    {
        get
        {
            lock (_lock)
            {
                return _connections.Count > 0 ? _connections[0] : null;
            }
        }
    }

    public int ConnectionCount
    {
        get
        {
            lock (_lock)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>
    /// Adds a connection (the leading one, or a login with this session's TSIH: RFC 7143 §6.3.1). A CID already in use
    /// is connection reinstatement (§6.3.4): the old connection is handed back in <paramref name="replaced"/> for the
    /// caller to close. False when the session already has MaxConnections connections, or has ended.
    /// </summary>
    public bool TryAddConnection(TargetConnection connection, ushort cid, out TargetConnection? replaced)
    {
        lock (_lock)
        {
            replaced = null;
            if (_closed)
            {
                return false;
            }
            foreach (var existing in _connections)
            {
                if (existing.Cid == cid)
                {
                    replaced = existing;
                }
            }
            if (replaced is null && _connections.Count >= Math.Max(1, Parameters.MaxConnections))
            {
                return false;
            }
            if (replaced is not null)
            {
                _connections.Remove(replaced);
            }
            _connections.Add(connection);
            return true;
        }
    }

    /// <summary>Takes a connection out of the session; returns how many are left.</summary>
    public int RemoveConnection(TargetConnection connection)
    {
        lock (_lock)
        {
            _connections.Remove(connection);
            return _connections.Count;
        }
    }

    /// <summary>Drops every connection of the session but <paramref name="except"/> (RFC 5047 Connection_Terminate).</summary>
    public void CloseConnections(TargetConnection? except = null)
    {
        foreach (var connection in Connections)
        {
            if (connection != except)
            {
                connection.Close();
            }
        }
    }

    /// <summary>The session's connection with this CID, or null.</summary>
    public TargetConnection? FindConnection(ushort cid)
    {
        lock (_lock)
        {
            foreach (var connection in _connections)
            {
                if (connection.Cid == cid)
                {
                    return connection;
                }
            }
            return null;
        }
    }

    public uint ExpCmdSN => Volatile.Read(ref _expCmdSN);

    public uint MaxCmdSN => Volatile.Read(ref _maxCmdSN);

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// RFC 7143 §4.2.2.1: accepts a non-immediate non-SCSI request's CmdSN if it is the next one expected and advances
    /// ExpCmdSN. Such requests are not held: one ahead of a hole, like any CmdSN outside the window or a duplicate,
    /// is dropped.
    /// </summary>
    public bool TryAcceptCmdSN(uint cmdSN, bool immediate) =>
        TryAcceptCmdSN(cmdSN, immediate, canHold: false, out _);

    /// <summary>
    /// RFC 7143 §3.2.2.1, §4.2.2.1: accepts a command's CmdSN. The next one expected advances ExpCmdSN (and releases
    /// the commands received ahead of it). With <paramref name="canHold"/>, a CmdSN above ExpCmdSN inside the window
    /// that was not received yet is accepted with <paramref name="held"/> set: the caller registers its command
    /// with <see cref="BeginCommand"/>, which keeps it out of execution until ExpCmdSN reaches it. A SCSI command in
    /// order releases the commands held behind it only when its handler calls <see cref="ReleaseHeld"/>, after the
    /// command itself was handed on, so none of them is delivered before it. Anything else
    /// (below ExpCmdSN, beyond MaxCmdSN, a CmdSN already received) is dropped.
    /// </summary>
    public bool TryAcceptCmdSN(uint cmdSN, bool immediate, bool canHold, out bool held)
    {
        held = false;
        if (immediate)
        {
            // Immediate commands carry CmdSN but do not advance it (§3.2.2.1).
            return true;
        }
        lock (_lock)
        {
            if (cmdSN == _expCmdSN && SerialNumber.LessOrEqual(cmdSN, _maxCmdSN))
            {
                _expCmdSN = cmdSN + 1;
                if (!canHold)
                {
                    PassReceived();
                }
                else
                {
                    Interlocked.Increment(ref _inOrderPending);
                }
                return true;
            }
            if (canHold && !_closed && SerialNumber.InWindow(cmdSN, _expCmdSN, _maxCmdSN) && _outOfOrder?.ContainsKey(cmdSN) != true
                && (_reserved ??= new HashSet<uint>(_queueDepth)).Add(cmdSN))
            {
                held = true;
                IscsiMeter.CmdSNHeld.Add(1);
                return true;
            }
            IscsiMeter.CmdSNRefused.Add(1);
            return false;
        }
    }

    /// <summary>
    /// RFC 7143 §11.5.1 b: ABORT TASK names a task we do not hold by a RefCmdSN inside the window [ExpCmdSN, MaxCmdSN]
    /// and below the request's own CmdSN: that command never arrived, and the target treats its CmdSN as received (and
    /// the command as aborted) so the commands after it are not held up behind a hole forever. False when RefCmdSN is
    /// outside the window or not below <paramref name="requestCmdSN"/> (the caller answers "task does not exist").
    /// </summary>
    public bool TryConsiderReceived(uint refCmdSN, uint requestCmdSN)
    {
        lock (_lock)
        {
            if (!SerialNumber.InWindow(refCmdSN, _expCmdSN, _maxCmdSN) || !SerialNumber.LessThan(refCmdSN, requestCmdSN))
            {
                return false;
            }
            if (refCmdSN == _expCmdSN)
            {
                // The aborted command ends at once: its CmdSN is consumed and the window slides past it.
                _expCmdSN++;
                _maxCmdSN++;
                PassReceived();
            }
            else
            {
                // A CmdSN whose command is held was received: its task was found (and aborted) by tag, so only a
                // CmdSN still free gets here, or one already consumed.
                OutOfOrder().TryAdd(refCmdSN, null);
            }
            return true;
        }
    }

    private Dictionary<uint, TargetCommand?> OutOfOrder() => _outOfOrder ??= new Dictionary<uint, TargetCommand?>(_queueDepth);

    /// <summary>
    /// Moves ExpCmdSN past the CmdSNs received ahead of it; the caller holds the lock. A consumed CmdSN also slides
    /// MaxCmdSN (its command is over); a held command is released, and started if its data is all in, in CmdSN order.
    /// </summary>
    private void PassReceived()
    {
        if (_outOfOrder is not { Count: > 0 } received)
        {
            return;
        }
        while (_reserved?.Contains(_expCmdSN) != true && received.Remove(_expCmdSN, out var command))
        {
            _expCmdSN++;
            if (command is null)
            {
                _maxCmdSN++;
                continue;
            }
            Volatile.Write(ref command.Held, false);
            if (command.StartWhenReleased && !command.Aborted)
            {
                command.Start();
            }
        }
    }

    /// <summary>
    /// After a SCSI command in order was handled: moves ExpCmdSN past the commands received ahead of it and starts
    /// them. Nothing held (the steady state): one field read, no lock.
    /// </summary>
    public void ReleaseHeld()
    {
        // The fence of the decrement orders it before the read below: a held command registered after a look at the
        // count that still saw this command pending is in the reorder buffer by the time it is read here.
        Interlocked.Decrement(ref _inOrderPending);
        if (Volatile.Read(ref _outOfOrder) is not { Count: > 0 })
        {
            return;
        }
        lock (_lock)
        {
            PassReceived();
        }
    }

    /// <summary>
    /// Hands a command whose data is all in to its worker: at once if its CmdSN was reached, otherwise when it is
    /// (RFC 7143 §3.2.2.1: delivered in CmdSN order). In order, this reads one field and takes no lock.
    /// </summary>
    public void StartInOrder(TargetCommand command)
    {
        if (Volatile.Read(ref command.Held))
        {
            lock (_lock)
            {
                // Held is cleared only under the lock, so this check and the release cannot both miss the start.
                if (command.Held)
                {
                    command.StartWhenReleased = true;
                    return;
                }
            }
        }
        command.Start();
    }

    /// <summary>
    /// A command accepted with <see cref="TryAcceptCmdSN(uint, bool, bool, out bool)"/> ended before it was registered
    /// (refused by a Reject): a held one's CmdSN is consumed when ExpCmdSN reaches it, any other slides the window now.
    /// </summary>
    public void CompleteUnregistered(uint cmdSN, bool immediate, bool held)
    {
        if (!held)
        {
            CompleteNonScsi(immediate);
            return;
        }
        lock (_lock)
        {
            _reserved?.Remove(cmdSN);
            OutOfOrder()[cmdSN] = null;
            PassIfNoneInOrderPending();
        }
    }

    /// <summary>
    /// A held CmdSN got its command (or was consumed) after ExpCmdSN may have reached it: moves on unless an in-order
    /// command's handler will (its <see cref="ReleaseHeld"/>). The caller holds the lock.
    /// </summary>
    private void PassIfNoneInOrderPending()
    {
        if (Volatile.Read(ref _inOrderPending) == 0)
        {
            PassReceived();
        }
    }

    /// <summary>
    /// Slides the window for a command that consumed a CmdSN and completed at once (NOP-Out, Text,
    /// TMF, Logout): MaxCmdSN follows ExpCmdSN so the window size stays the queue depth.
    /// </summary>
    public void CompleteNonScsi(bool immediate)
    {
        if (!immediate)
        {
            lock (_lock)
            {
                _maxCmdSN++;
            }
        }
    }

    /// <summary>
    /// Takes a pooled command and registers it under its ITT; null if the ITT is already in use.
    /// The data buffers of a session's commands share <see cref="IscsiTargetOptions.SessionBufferBudget"/>:
    /// a command whose buffer would exceed it gets none and <paramref name="overBudget"/> is set (the
    /// caller answers TASK SET FULL), so memory stays bounded whatever EDTLs a peer announces. A lone
    /// command always fits, so every session makes progress.
    /// <para>
    /// A <paramref name="held"/> command (received ahead of a CmdSN hole) takes its place in the reorder buffer: it
    /// receives its data like any other, and <see cref="StartInOrder"/> keeps it from executing until ExpCmdSN reaches it.
    /// </para>
    /// </summary>
    public TargetCommand? BeginCommand(TargetConnection connection, uint itt, uint cmdSN, bool immediate, bool held, int bufferLength, DataBufferPool pool, out bool overBudget)
    {
        lock (_lock)
        {
            overBudget = false;
            if (_closed || _commands.ContainsKey(itt))
            {
                return null;
            }
            if (bufferLength > 0 && _bufferedBytes > 0 && _bufferedBytes + bufferLength > _bufferBudget)
            {
                overBudget = true;
                bufferLength = 0;
            }
            _bufferedBytes += bufferLength;
            if (!_pool.TryPop(out var command))
            {
                command = new TargetCommand(this);
            }
            command.Begin(connection, itt, cmdSN, bufferLength, pool);
            command.Immediate = immediate;
            _commands.Add(itt, command);
            _inFlight++;
            connection.CommandsInFlight++;
            if (held)
            {
                command.Held = true;
                _reserved?.Remove(cmdSN);
                OutOfOrder()[cmdSN] = command;
                // Not started here even if ExpCmdSN reached it (its data and CDB come next): PassReceived only releases it.
                PassIfNoneInOrderPending();
            }
            return command;
        }
    }

    /// <summary>True once the session has ended (<see cref="Close"/>): it takes no new command from then on.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_lock)
            {
                return _closed;
            }
        }
    }

    public bool TryGetCommand(uint itt, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TargetCommand? command)
    {
        lock (_lock)
        {
            return _commands.TryGetValue(itt, out command);
        }
    }

    /// <summary>
    /// Runs on the command's worker loop once all its data is in: executes it and claims it for its
    /// response. Returns the connection to send the response on, or null when none is sent (aborted,
    /// or no connection); the worker then sends and calls <see cref="Finish"/>.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<TargetConnection?> ExecuteAsync(TargetCommand command)
    {
        long started = Scsi.Metrics.LunMetrics.Start();
        try
        {
            if (!command.RunWithoutExecution)
            {
                await Device.ExecuteAsync(command.Task, command.Cancellation.Token).ConfigureAwait(false);
                if (Scsi.Metrics.LunMetrics.Recording && ScsiTargetDevice.TryDecodeLun(command.Lun, out int lun) && LunMetrics.TryGetValue(lun, out var metrics))
                {
                    metrics.Complete(command.Task, started);
                }
            }
        }
        catch (OperationCanceledException) when (command.Aborted)
        {
        }
        catch (Exception e)
        {
            // A logical unit is not supposed to throw; never let one bring the connection down.
            LogUnitFailure(_logger, e);
            command.Task.CheckCondition(SenseKey.HardwareError, 0x44, 0x00);
        }

        return ReleaseTag(command) ? command.Connection : null;
    }

    /// <summary>
    /// Claims a command that finished executing for its response and takes it out of the ITT table
    /// before that response is sent; false if task management aborted it (no response then).
    /// <para>
    /// RFC 7143 §11.2.1.8: a tag identifies a task only while the task exists, and the initiator may
    /// reuse it as soon as it has the status. Releasing the tag only after the send (in
    /// <see cref="Finish"/>) left a window in which the initiator's next command with that tag got
    /// Reject "task in progress": the worker could be preempted between its flush and
    /// <see cref="Finish"/> while the initiator had already read the response. The command keeps its
    /// place in the in-flight count (Logout drain) and stays out of the pool until <see cref="Finish"/>.
    /// </para>
    /// </summary>
    private bool ReleaseTag(TargetCommand command)
    {
        lock (_lock)
        {
            // Under the lock Abort iterates the table with: either it claimed the command first (no
            // response), or it no longer finds it (ABORT TASK then answers from RefCmdSN as for any
            // completed task).
            if (!command.TryBeginCompletion())
            {
                return false;
            }
            if (_commands.TryGetValue(command.InitiatorTaskTag, out var registered) && ReferenceEquals(registered, command))
            {
                _commands.Remove(command.InitiatorTaskTag);
            }
            return true;
        }
    }

    /// <summary>Removes a command from the table and returns it to the pool.</summary>
    public void Finish(TargetCommand command, bool slideWindow)
    {
        int released = command.ReleaseBuffer();
        TaskCompletionSource? drained = null;
        lock (_lock)
        {
            if (_commands.TryGetValue(command.InitiatorTaskTag, out var registered) && ReferenceEquals(registered, command))
            {
                _commands.Remove(command.InitiatorTaskTag);
            }
            if (command.Held)
            {
                // Ended while it waited behind a hole (aborted, refused, session end): it never runs, and its CmdSN is
                // consumed when ExpCmdSN reaches it; only then does the window slide for it.
                command.Held = false;
                if (!_closed)
                {
                    OutOfOrder()[command.CmdSN] = null;
                    PassIfNoneInOrderPending();
                }
            }
            else if (slideWindow && !command.Immediate)
            {
                // An immediate command took no CmdSN slot (§3.2.2.1), so it gives none back.
                _maxCmdSN++;
            }
            _bufferedBytes -= released;
            _inFlight--;
            if (command.Connection is { } connection)
            {
                connection.CommandsInFlight--;
            }
            if (_connectionDrains is not null)
            {
                SignalConnectionDrainedLocked(command.Connection);
            }
            command.Connection = null;
            command.SignalFinished();
            if (_closed)
            {
                command.Retire();
            }
            else
            {
                _pool.Push(command);
            }
            if (_inFlight == 0 && _drained is not null)
            {
                drained = _drained;
                _drained = null;
            }
        }
        drained?.TrySetResult();
    }

    /// <summary>Waits until no command is in flight (Logout: RFC 7143 §11.14).</summary>
    public Task WaitForDrainAsync()
    {
        lock (_lock)
        {
            if (_inFlight == 0)
            {
                return Task.CompletedTask;
            }
            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drained.Task;
        }
    }

    /// <summary>Waits until no command that arrived on <paramref name="connection"/> is in flight (Logout of one connection).</summary>
    public Task WaitForDrainAsync(TargetConnection connection)
    {
        lock (_lock)
        {
            if (connection.CommandsInFlight == 0)
            {
                return Task.CompletedTask;
            }
            var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            (_connectionDrains ??= new()).Add((connection, drained));
            return drained.Task;
        }
    }

    // A command of the connection just left the ITT table (Finish): the connection's drain waiter, if any, may be done.
    private void SignalConnectionDrainedLocked(TargetConnection? connection)
    {
        var drains = _connectionDrains!;
        for (int i = drains.Count - 1; i >= 0; i--)
        {
            if (ReferenceEquals(drains[i].Connection, connection) && connection!.CommandsInFlight == 0)
            {
                drains[i].Drained.TrySetResult();
                drains.RemoveAt(i);
            }
        }
        if (drains.Count == 0)
        {
            _connectionDrains = null;
        }
    }

    /// <summary>
    /// Aborts matching commands (task management). Commands still waiting for Data-Out, or held behind a CmdSN hole
    /// (never started), are dropped at once; executing ones are cancelled and their responses suppressed. A command whose
    /// response is already on its way is not aborted. Returns how many were aborted; when
    /// <paramref name="executing"/> is given, it receives a task per executing command that
    /// completes once the command has really stopped (SAM-5 §7.2: the function completes after
    /// the tasks are gone).
    /// </summary>
    public int Abort(Func<TargetCommand, bool> match, List<Task>? executing = null)
    {
        List<TargetCommand>? waiting = null;
        int count = 0;
        lock (_lock)
        {
            foreach (var command in _commands.Values)
            {
                if (command.Aborted || !match(command) || !command.TryAbort())
                {
                    continue;
                }
                count++;
                if (command.WaitingForData || command.Held)
                {
                    (waiting ??= new()).Add(command);
                }
                else
                {
                    executing?.Add(command.WhenFinished());
                    command.Cancellation.Cancel();
                }
            }
        }
        if (waiting is not null)
        {
            foreach (var command in waiting)
            {
                command.Connection?.EndDataOut(command);
                Finish(command, slideWindow: true);
            }
        }
        return count;
    }

    /// <inheritdoc />
    public int AbortTasks(ILogicalUnit? unit, ulong? tag, List<Task>? stopped)
    {
        var device = Device;
        return Abort(
            command => (tag is not { } wanted || command.InitiatorTaskTag == wanted)
                && (unit is null || (device.TryGetLogicalUnit(command.Lun, out var target) && ReferenceEquals(target, unit))),
            stopped);
    }

    /// <summary>Commands held now (received, not yet answered) that address <paramref name="unit"/>.</summary>
    public int CommandsFor(ILogicalUnit unit)
    {
        var device = Device;
        int count = 0;
        lock (_lock)
        {
            foreach (var command in _commands.Values)
            {
                if (device.TryGetLogicalUnit(command.Lun, out var target) && ReferenceEquals(target, unit))
                {
                    count++;
                }
            }
        }
        return count;
    }

    /// <summary>Session end: aborts everything and retires pooled workers.</summary>
    public void Close()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }
            _closed = true;
            // Held commands are still in the ITT table: the abort below drops them, and nothing is released any more.
            _outOfOrder?.Clear();
            _reserved?.Clear();
            while (_pool.TryPop(out var idle))
            {
                idle.Retire();
            }
        }
        Abort(static _ => true);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Logical unit threw while executing a command")]
    private static partial void LogUnitFailure(ILogger logger, Exception exception);
}
