namespace NetScsi.Scsi.TaskManagement;

/// <summary>
/// Task management (SAM-5 §7) and I_T nexus loss (§6.3.4) for one SCSI target device, whatever transport
/// carries its nexuses. It knows which tasks each function aborts and which unit events follow; the
/// transport registers each nexus' task set, maps its protocol's requests onto <see cref="Execute"/> and
/// its responses back, and waits for the stopped tasks before answering.
/// PERSISTENT RESERVE OUT PREEMPT AND ABORT on a unit (<see cref="ITaskAbortSource"/>) comes here too.
/// </summary>
public sealed class TaskManager
{
    private ScsiTargetDevice _device;
    private readonly object _lock = new();
    private readonly List<INexusTaskSet> _nexuses = new();

    /// <param name="device">Every logical unit of the target device (not a masked view).</param>
    public TaskManager(ScsiTargetDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
        foreach (var entry in device.LogicalUnits)
        {
            if (entry.Value is ITaskAbortSource source)
            {
                source.TasksAbortRequested += OnTasksAbortRequested;
            }
        }
    }

    /// <summary>The target device now (all its units).</summary>
    public ScsiTargetDevice Device => Volatile.Read(ref _device);

    /// <summary>
    /// The target device's units changed (a LUN was added or removed on a running target): target resets reach the
    /// new set, and PREEMPT AND ABORT is heard from added units and no longer from removed ones.
    /// </summary>
    public void ReplaceDevice(ScsiTargetDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        lock (_lock)
        {
            var old = _device;
            foreach (var entry in old.LogicalUnits)
            {
                if (entry.Value is ITaskAbortSource source && !Contains(device, entry.Value))
                {
                    source.TasksAbortRequested -= OnTasksAbortRequested;
                }
            }
            foreach (var entry in device.LogicalUnits)
            {
                if (entry.Value is ITaskAbortSource source && !Contains(old, entry.Value))
                {
                    source.TasksAbortRequested += OnTasksAbortRequested;
                }
            }
            Volatile.Write(ref _device, device);
        }
    }

    private static bool Contains(ScsiTargetDevice device, ILogicalUnit unit)
    {
        foreach (var entry in device.LogicalUnits)
        {
            if (ReferenceEquals(entry.Value, unit))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The nexuses registered now.</summary>
    public int NexusCount
    {
        get
        {
            lock (_lock)
            {
                return _nexuses.Count;
            }
        }
    }

    /// <summary>A new I_T nexus exists (a session was established).</summary>
    public void AddNexus(INexusTaskSet nexus)
    {
        ArgumentNullException.ThrowIfNull(nexus);
        lock (_lock)
        {
            if (!_nexuses.Contains(nexus))
            {
                _nexuses.Add(nexus);
            }
        }
    }

    /// <summary>
    /// I_T nexus loss (SAM-5 §6.3.4: the session ended, failed or was reinstated): the nexus' tasks are
    /// aborted and its units drop the state tied to it and note the loss. Only the first call for a nexus
    /// does anything, however often the transport reports the end. Returns whether this call did it.
    /// </summary>
    public bool OnNexusLoss(INexusTaskSet nexus)
    {
        ArgumentNullException.ThrowIfNull(nexus);
        lock (_lock)
        {
            if (!_nexuses.Remove(nexus))
            {
                return false;
            }
        }
        nexus.AbortTasks(null, null, null);
        nexus.Device.OnEvent(LogicalUnitEvent.NexusLoss, nexus.Nexus);
        return true;
    }

    /// <summary>
    /// Carries out <paramref name="function"/> requested through <paramref name="requester"/>.
    /// <paramref name="lunField"/> names the unit (ignored by ABORT TASK, which names its task by
    /// <paramref name="taskTag"/>, and by the nexus and target resets). Tasks that were executing add a
    /// stop task to <paramref name="stopped"/>; the function is complete once they have all finished.
    /// </summary>
    public TaskManagementOutcome Execute(INexusTaskSet requester, TaskManagementFunction function, ulong lunField, ulong taskTag, List<Task>? stopped)
    {
        ArgumentNullException.ThrowIfNull(requester);
        switch (function)
        {
            case TaskManagementFunction.AbortTask:
                return TaskManagementOutcome.Complete(requester.AbortTasks(null, taskTag, stopped));
            case TaskManagementFunction.AbortTaskSet:
            {
                if (!requester.Device.TryGetLogicalUnit(lunField, out var unit))
                {
                    return TaskManagementOutcome.IncorrectLun;
                }
                return TaskManagementOutcome.Complete(requester.AbortTasks(unit, null, stopped));
            }
            case TaskManagementFunction.ClearTaskSet:
            case TaskManagementFunction.LogicalUnitReset:
            {
                if (!requester.Device.TryGetLogicalUnit(lunField, out var unit))
                {
                    return TaskManagementOutcome.IncorrectLun;
                }
                int count = 0;
                foreach (var nexus in Snapshot())
                {
                    count += nexus.AbortTasks(unit, null, stopped);
                }
                unit.OnEvent(function == TaskManagementFunction.ClearTaskSet ? LogicalUnitEvent.CommandsClearedByAnotherInitiator : LogicalUnitEvent.LogicalUnitReset, requester.Nexus);
                return TaskManagementOutcome.Complete(count);
            }
            case TaskManagementFunction.ItNexusReset:
            {
                int count = requester.AbortTasks(null, null, stopped);
                requester.Device.OnEvent(LogicalUnitEvent.NexusLoss, requester.Nexus);
                return TaskManagementOutcome.Complete(count);
            }
            case TaskManagementFunction.TargetWarmReset:
            case TaskManagementFunction.TargetColdReset:
            {
                int count = 0;
                foreach (var nexus in Snapshot())
                {
                    count += nexus.AbortTasks(null, null, stopped);
                }
                Device.OnEvent(function == TaskManagementFunction.TargetColdReset ? LogicalUnitEvent.TargetColdReset : LogicalUnitEvent.TargetWarmReset, requester.Nexus);
                return TaskManagementOutcome.Complete(count);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(function), function, "Not a SAM-5 task management function.");
        }
    }

    // SPC-4 §5.13.11.2.5: as if each preempted nexus had sent ABORT TASK SET for the unit; no responses.
    private void OnTasksAbortRequested(object? sender, TasksAbortRequestedEventArgs e)
    {
        if (sender is not ILogicalUnit unit)
        {
            return;
        }
        foreach (var nexus in Snapshot())
        {
            if (e.Nexuses.Contains(nexus.Nexus))
            {
                nexus.AbortTasks(unit, null, null);
            }
        }
    }

    private INexusTaskSet[] Snapshot()
    {
        lock (_lock)
        {
            return _nexuses.ToArray();
        }
    }
}
