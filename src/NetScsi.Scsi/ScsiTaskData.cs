namespace NetScsi.Scsi;

/// <summary>How much data a <see cref="ScsiTask"/> moves, and returning parameter data on it.</summary>
internal static class ScsiTaskData
{
    /// <summary>
    /// Returns parameter data: the command asks for <paramref name="allocationLength"/> bytes, the unit has
    /// <paramref name="data"/>; SPC-4 §4.2.5.6 says transfer the lesser, and the task buffer bounds what moves.
    /// </summary>
    public static void CompleteDataIn(ScsiTask task, ReadOnlySpan<byte> data, int allocationLength)
    {
        int available = Math.Min(data.Length, allocationLength);
        task.CommandTransferLength = available;
        int n = Math.Min(available, DataInCapacity(task));
        data[..n].CopyTo(task.Buffer.Span);
        task.DataInLength = n;
    }

    /// <summary>
    /// How many data-in bytes the task can take: its buffer, unless the transport flagged the command as
    /// write-only (then no data-in moves and the transport reports the residual).
    /// </summary>
    public static int DataInCapacity(ScsiTask task) =>
        task.Direction is DataDirection.Read or DataDirection.Bidirectional ? task.Buffer.Length : 0;

    /// <summary>How many data-out bytes arrived: none unless the task carries Data-Out.</summary>
    public static int DataOutLength(ScsiTask task) =>
        task.Direction is DataDirection.Write or DataDirection.Bidirectional ? task.Buffer.Length : 0;
}
