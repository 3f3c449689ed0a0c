using System.Buffers;

namespace NetScsi.Transport;

/// <summary>
/// A target's data mover (RFC 5047 §7.3-7.4): sends Data-In (Put_Data), solicits and places write data (Get_Data),
/// and delivers everything else to the protocol (Control_Notify).
/// </summary>
public interface ITargetDataMover : IDataMoverConnection
{
    /// <summary>
    /// Whether the mover sends read data straight from storage (<see cref="DataInSource.FromStorage"/>) better than
    /// from a buffer the logical unit filled: the protocol lets units leave it there (<see cref="NetScsi.Scsi.ScsiTask.AcceptsStoredDataIn"/>).
    /// </summary>
    bool PrefersStoredDataIn { get; }

    /// <summary>
    /// Runs the receive side until the connection ends: control PDUs and framing errors go to
    /// <paramref name="handler"/>, Data-Out is placed in its task's buffer (Data_Completion_Notify when a write's data
    /// is all in). Throws <see cref="IOException"/> when the transport fails.
    /// </summary>
    Task<DataMoverReceiveEnd> RunAsync(ITargetDataMoverHandler handler, CancellationToken cancellationToken);

    /// <summary>
    /// RFC 5047 Put_Data: sends <paramref name="data"/> for <paramref name="task"/> as Data-In PDUs within the
    /// initiator's MaxRecvDataSegmentLength and sequences of MaxBurstLength, DataSN from 0; with
    /// <paramref name="status"/>, the last one carries it with <see cref="TargetSequenceNumbers.StatSN"/> (phase
    /// collapse; a mover that cannot collapse sends it as a SCSI Response). The caller holds the send side and flushes.
    /// </summary>
    ValueTask PutDataAsync(DataTask task, DataInSource data, TargetSequenceNumbers numbers, DataInStatus? status);

    /// <summary>
    /// Takes a write's data phase in hand when its command arrives: places its immediate data, expects unsolicited
    /// Data-Out up to <paramref name="unsolicitedEnd"/>, and says whether the rest must be solicited.
    /// The task's <see cref="DataTask.DataBuffer"/> is the whole write (its expected data transfer length).
    /// </summary>
    DataOutStart BeginDataOut(DataTask task, in ReadOnlySequence<byte> immediateData, int unsolicitedEnd);

    /// <summary>
    /// RFC 5047 Get_Data: solicits the part of the write not coming unsolicited, as far as MaxOutstandingR2T allows
    /// (the mover asks for the send side again through <see cref="ITargetDataMoverHandler.OnMoreDataWantedAsync"/>).
    /// The caller holds the send side and flushes.
    /// </summary>
    void GetData(DataTask task, TargetSequenceNumbers numbers);

    /// <summary>
    /// Ends a write's data phase early (aborted, failed): no more of its Data-Out is placed. Data-Out still arriving
    /// for it (the initiator answers R2Ts it had before it learnt of the abort) is dropped without an upcall.
    /// </summary>
    void EndDataOut(DataTask task);

    /// <summary>
    /// A command with this tag was refused before its data phase began (Reject, TASK SET FULL, CHECK CONDITION) while
    /// unsolicited Data-Out for it may already be on the way (F=0): that data is dropped without an upcall.
    /// </summary>
    void DiscardDataOut(uint initiatorTaskTag);
}
