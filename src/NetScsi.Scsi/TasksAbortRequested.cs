namespace NetScsi.Scsi;

/// <summary>
/// A logical unit that may ask the transport to abort tasks it does not own. The transport owns tasks (it
/// holds their cancellation and decides what goes on the wire), so the unit only says which nexuses' tasks
/// must go; the transport subscribes when it maps the unit.
/// </summary>
public interface ITaskAbortSource
{
    /// <summary>
    /// Raised, outside the unit's locks, when a command requires the tasks of other I_T nexuses in this unit's
    /// task set to be aborted: PERSISTENT RESERVE OUT PREEMPT AND ABORT (SPC-4 §5.13.11.2.5). The transport
    /// aborts every task of each listed nexus on this logical unit as for ABORT TASK SET received from that
    /// nexus (SAM-5 §7.2), except the command that caused it, and sends no response for the aborted tasks.
    /// The unit has already queued the unit attentions (REGISTRATIONS PREEMPTED / RESERVATIONS PREEMPTED).
    /// </summary>
    event EventHandler<TasksAbortRequestedEventArgs>? TasksAbortRequested;
}

/// <summary>Which nexuses' tasks to abort, and the nexus whose command asked for it.</summary>
public sealed class TasksAbortRequestedEventArgs(IReadOnlyList<ItNexus> nexuses, ItNexus origin) : EventArgs
{
    /// <summary>The nexuses whose tasks in the unit's task set are to be aborted.</summary>
    public IReadOnlyList<ItNexus> Nexuses { get; } = nexuses;

    /// <summary>The nexus of the PREEMPT AND ABORT command (its own tasks are not aborted).</summary>
    public ItNexus Origin { get; } = origin;
}
