namespace NetScsi.Transport;

/// <summary>
/// An initiator's data mover (RFC 5047 §7.2): sends commands with their immediate and unsolicited data, answers R2Ts
/// with the data they ask for, places Data-In, and delivers everything else to the protocol.
/// </summary>
public interface IInitiatorDataMover : IDataMoverConnection
{
    /// <summary>
    /// Runs the receive side until the connection ends: Data-In goes into its task's buffer, R2Ts queue solicited data,
    /// the rest goes to <paramref name="handler"/>. Throws <see cref="IOException"/> when the transport fails or the
    /// target breaks the data protocol (a Data-In or R2T outside its task's buffer).
    /// </summary>
    Task<DataMoverReceiveEnd> RunAsync(IInitiatorDataMoverHandler handler, CancellationToken cancellationToken);

    /// <summary>
    /// RFC 5047 Send_Control for a SCSI Command: its BHS as the engine encoded it, with the immediate data and the
    /// unsolicited Data-Out burst the login allowed taken from <see cref="DataTask.WriteData"/> (the mover sets
    /// DataSegmentLength and F). Returns the data bytes it buffered. The caller holds the send side and flushes.
    /// </summary>
    int SendCommand(Span<byte> header, DataTask task, uint expStatSN);

    /// <summary>Whether R2Ts asked for data not yet sent.</summary>
    bool HasSolicitedData { get; }

    /// <summary>Buffers one solicited Data-Out sequence (the oldest R2T's); returns its data bytes, 0 when none is waiting.</summary>
    int SendSolicitedData(uint expStatSN);
}
