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
/// A normal iSCSI session on the target (RFC 7143 §4.4): the I_T nexus, the CmdSN window, the
/// commands in flight, and the one connection (MaxConnections=1). Discovery sessions have no
/// <see cref="TargetSession"/>; they never reach full-feature SCSI.
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
    private bool _closed;
    private ScsiTargetDevice _device;
    private IReadOnlyDictionary<int, LunMetrics> _lunMetrics = System.Collections.Frozen.FrozenDictionary<int, LunMetrics>.Empty;

    /// <summary>
    /// CmdSNs above ExpCmdSN that ABORT TASK told us to consider received (RFC 7143 §11.5.1 b); skipped when
    /// ExpCmdSN reaches them. At most one per slot of the window, so bounded by the queue depth.
    /// </summary>
    private List<uint>? _consideredReceived;

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

    public TargetConnection? Connection { get; set; }

    public uint ExpCmdSN => Volatile.Read(ref _expCmdSN);

    public uint MaxCmdSN => Volatile.Read(ref _maxCmdSN);

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// RFC 7143 §4.2.2.1: accepts a non-immediate command's CmdSN if it is the next one expected and
    /// advances ExpCmdSN. With one connection per session, any other CmdSN is outside the ordered
    /// stream (too low: a duplicate; too high: beyond the window or a gap) and is dropped.
    /// </summary>
    public bool TryAcceptCmdSN(uint cmdSN, bool immediate)
    {
        lock (_lock)
        {
            if (immediate)
            {
                // Immediate commands carry CmdSN but do not advance it (§3.2.2.1).
                return true;
            }
            if (cmdSN != _expCmdSN || !SerialNumber.LessOrEqual(cmdSN, _maxCmdSN))
            {
                IscsiMeter.CmdSNRefused.Add(1);
                return false;
            }
            _expCmdSN = cmdSN + 1;
            SkipConsideredReceived();
            return true;
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
                SkipConsideredReceived();
            }
            else
            {
                _consideredReceived ??= new List<uint>();
                if (!_consideredReceived.Contains(refCmdSN))
                {
                    _consideredReceived.Add(refCmdSN);
                }
            }
            return true;
        }
    }

    /// <summary>Moves ExpCmdSN past CmdSNs already considered received; the caller holds the lock.</summary>
    private void SkipConsideredReceived()
    {
        if (_consideredReceived is not { Count: > 0 } skipped)
        {
            return;
        }
        while (skipped.Remove(_expCmdSN))
        {
            _expCmdSN++;
            _maxCmdSN++;
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
    /// </summary>
    public TargetCommand? BeginCommand(uint itt, uint cmdSN, int bufferLength, DataBufferPool pool, out bool overBudget)
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
            command.Begin(itt, cmdSN, bufferLength, pool);
            _commands.Add(itt, command);
            _inFlight++;
            return command;
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

        return ReleaseTag(command) ? Connection : null;
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
            if (slideWindow)
            {
                _maxCmdSN++;
            }
            _bufferedBytes -= released;
            _inFlight--;
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

    /// <summary>
    /// Aborts matching commands (task management). Commands still waiting for Data-Out are dropped
    /// at once; executing ones are cancelled and their responses suppressed. A command whose
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
                if (command.WaitingForData)
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
                Connection?.EndDataOut(command);
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
