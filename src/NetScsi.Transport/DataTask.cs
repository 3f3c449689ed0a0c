namespace NetScsi.Transport;

/// <summary>
/// One SCSI command's data transfer on a connection (RFC 5047 task resources): what a data mover needs to move its
/// data. The protocol engines' command objects derive from it, so a data PDU finds its buffer with one lookup, and
/// the mover keeps its per-task state here without an object of its own.
/// </summary>
public abstract class DataTask
{
    /// <summary>The command's Initiator Task Tag (RFC 7143 §11.2.1.8), echoed by every data PDU.</summary>
    public uint InitiatorTaskTag { get; set; }

    /// <summary>The 8-byte LUN field of the command (SAM-5 §4.7), echoed in Data-In, R2T and Data-Out.</summary>
    public ulong LunField { get; set; }

    /// <summary>
    /// Where the data lands: on the target, a write's buffer (its length is what the command will receive); on the
    /// initiator, a read's buffer (its length is what the command may receive).
    /// </summary>
    public Memory<byte> DataBuffer { get; set; }

    /// <summary>On the initiator, a write's data (its length is the expected data transfer length).</summary>
    public ReadOnlyMemory<byte> WriteData { get; set; }

    /// <summary>
    /// Names one issue of the command: the initiator sets a new value each time it sends it (a re-issue after
    /// recovery is another transfer) and another when it ends, so solicited data queued for an old issue is dropped.
    /// </summary>
    public long TransferId { get; set; }

    /// <summary>On the target: the write still expects Data-Out (immediate, unsolicited or solicited).</summary>
    public bool WaitingForData { get; internal set; }

    /// <summary>Write data received so far (target).</summary>
    public int ReceivedLength { get; internal set; }

    /// <summary>
    /// Whether <paramref name="transferId"/> (a <see cref="TransferId"/> seen when an R2T arrived) is still the issue on
    /// the wire, so its solicited data may go out. Engines that track more than the id override it.
    /// </summary>
    protected internal virtual bool IsCurrentTransfer(long transferId) => TransferId == transferId;

    /// <summary>The state of a byte-stream mover's data phase (R2Ts, DataSN) for this task.</summary>
    internal StreamTransferState Stream;
}
