namespace NetScsi.Scsi;

/// <summary>
/// The SCSI ⇄ transport seam: one call per command. The transport fills a <see cref="ScsiTask"/>
/// (nexus, LUN, CDB, attribute, data buffer) and awaits <see cref="ExecuteAsync"/>; status,
/// sense and data-in length come back on the task. Nothing here knows which transport protocol carries it.
/// </summary>
public interface ILogicalUnit
{
    /// <summary>
    /// Executes one command. Never throws for a SCSI-level failure: those become CHECK CONDITION on
    /// the task. Cancellation (task management: ABORT TASK, LUN RESET, ...) may end the wait early;
    /// the caller then reports TASK ABORTED or nothing, as its protocol requires.
    /// Many calls may be outstanding at once (the implementation orders them per task attribute).
    /// </summary>
    ValueTask ExecuteAsync(ScsiTask task, CancellationToken cancellationToken);

    /// <summary>
    /// A reset or nexus event happened (SAM-5 §6.3, §6.6). The unit raises the unit attentions SPC-4
    /// requires for every other nexus (and, for resets, for the origin too) and drops state tied to
    /// the nexus (e.g. RESERVE(6) reservations on I_T nexus loss).
    /// </summary>
    void OnEvent(LogicalUnitEvent evt, ItNexus? origin);

    /// <summary>Flushes volatile caches to stable storage (graceful shutdown).</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken);
}

/// <summary>Events that change unit-attention and reservation state.</summary>
public enum LogicalUnitEvent
{
    /// <summary>LOGICAL UNIT RESET task management function.</summary>
    LogicalUnitReset,
    /// <summary>TARGET WARM RESET.</summary>
    TargetWarmReset,
    /// <summary>TARGET COLD RESET (also: power on).</summary>
    TargetColdReset,
    /// <summary>The nexus went away (session closed or reinstated).</summary>
    NexusLoss,
    /// <summary>Another nexus' task set was cleared (CLEAR TASK SET) or aborted.</summary>
    CommandsClearedByAnotherInitiator,
    /// <summary>The LUN inventory the nexuses see changed (SPC-4 §6.33: REPORTED LUNS DATA HAS CHANGED).</summary>
    ReportedLunsDataChanged,
}
