namespace NetScsi.Scsi;

/// <summary>Which way a task's data moves, seen from the initiator.</summary>
public enum DataDirection : byte
{
    None = 0,
    /// <summary>Data-In: target to initiator (READ, INQUIRY, ...).</summary>
    Read = 1,
    /// <summary>Data-Out: initiator to target (WRITE, MODE SELECT, ...).</summary>
    Write = 2,
    Bidirectional = 3,
}
