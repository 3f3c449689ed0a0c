namespace NetScsi.Scsi.TaskManagement;

/// <summary>SAM-5 §7.1: the service responses of a task management function.</summary>
public enum TaskManagementServiceResponse
{
    /// <summary>FUNCTION COMPLETE: the function has been carried out (for ABORT TASK also when no such task existed).</summary>
    FunctionComplete,
    /// <summary>INCORRECT LOGICAL UNIT NUMBER: the function names a logical unit the nexus cannot address.</summary>
    IncorrectLogicalUnitNumber,
}

/// <summary>What a task management function did: its service response and how many tasks it aborted.</summary>
public readonly record struct TaskManagementOutcome(TaskManagementServiceResponse Response, int TasksAborted)
{
    /// <summary>FUNCTION COMPLETE after aborting <paramref name="tasksAborted"/> tasks.</summary>
    public static TaskManagementOutcome Complete(int tasksAborted) => new(TaskManagementServiceResponse.FunctionComplete, tasksAborted);

    /// <summary>INCORRECT LOGICAL UNIT NUMBER; nothing was done.</summary>
    public static TaskManagementOutcome IncorrectLun => new(TaskManagementServiceResponse.IncorrectLogicalUnitNumber, 0);
}
