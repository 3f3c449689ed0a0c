namespace NetScsi.Scsi.TaskManagement;

/// <summary>
/// The tasks one I_T nexus has in flight, as the transport holds them. The transport owns its tasks (their
/// cancellation, and what goes on the wire for an aborted one: iSCSI sends no response for it), so the
/// <see cref="TaskManager"/> decides which tasks a function aborts and the transport aborts them.
/// </summary>
public interface INexusTaskSet
{
    /// <summary>The I_T nexus.</summary>
    ItNexus Nexus { get; }

    /// <summary>The logical units this nexus addresses (its LUN view, after masking).</summary>
    ScsiTargetDevice Device { get; }

    /// <summary>
    /// Aborts this nexus' tasks on <paramref name="unit"/> (every unit when null) whose task tag is
    /// <paramref name="tag"/> (any tag when null). No response goes out for an aborted task. When
    /// <paramref name="stopped"/> is given it receives, per task that was executing, a task that completes
    /// once the command has really stopped (SAM-5 §7.1: a function completes after its tasks are gone).
    /// Returns how many tasks were aborted.
    /// </summary>
    int AbortTasks(ILogicalUnit? unit, ulong? tag, List<Task>? stopped);
}
