namespace NetScsi.Scsi.TaskManagement;

/// <summary>The task management functions of SAM-5 §7 that a SCSI target device carries out.</summary>
public enum TaskManagementFunction
{
    /// <summary>ABORT TASK (§7.2): one task of the requesting I_T nexus, named by its tag.</summary>
    AbortTask,
    /// <summary>ABORT TASK SET (§7.3): every task of the requesting I_T nexus on one logical unit.</summary>
    AbortTaskSet,
    /// <summary>CLEAR TASK SET (§7.5): every task of every I_T nexus on one logical unit.</summary>
    ClearTaskSet,
    /// <summary>LOGICAL UNIT RESET (§7.7): CLEAR TASK SET plus the unit's reset (unit attention, reservations).</summary>
    LogicalUnitReset,
    /// <summary>I_T NEXUS RESET (§7.6): every task of the requesting nexus on every unit; the units see an I_T nexus loss.</summary>
    ItNexusReset,
    /// <summary>A target reset that keeps the I_T nexuses (iSCSI's TARGET WARM RESET).</summary>
    TargetWarmReset,
    /// <summary>A hard reset of the whole target device (iSCSI's TARGET COLD RESET, SAM-5's power on).</summary>
    TargetColdReset,
}
