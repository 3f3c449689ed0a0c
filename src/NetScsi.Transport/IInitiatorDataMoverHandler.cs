using NetScsi.Iscsi.Pdus;

namespace NetScsi.Transport;

/// <summary>The upcalls an initiator's protocol engine takes from its mover (RFC 5047 §8).</summary>
public interface IInitiatorDataMoverHandler : IDataMoverHandler
{
    /// <summary>A Data-In arrived: apply its header (window, StatSN) and name the task it is for; null drops its data.</summary>
    DataTask? OnDataIn(in DataInPdu pdu);

    /// <summary>The Data-In's data is in the task's buffer (with S set, the command's status came with it).</summary>
    void OnDataInPlaced(DataTask task, in DataInPdu pdu);

    /// <summary>An R2T arrived: apply its header and name the task it is for; null ignores it.</summary>
    DataTask? OnR2T(in ReadyToTransferPdu pdu);

    /// <summary>An R2T's data is waiting to be sent (<see cref="IInitiatorDataMover.SendSolicitedData"/>).</summary>
    void OnSolicitedDataQueued();

    /// <summary>
    /// The mover has handled all it read and is about to read again; <paramref name="moreReady"/>: input is already
    /// waiting. Where an engine sends what the last batch of answers made it queue.
    /// </summary>
    void OnReceiveIdle(bool moreReady);

    /// <summary>A batch of received PDUs starts (upcalls follow on this thread until <see cref="OnReceiveBatchEnd"/>).</summary>
    void OnReceiveBatchStart();

    /// <summary>The batch ended.</summary>
    void OnReceiveBatchEnd();

    /// <summary>
    /// One command is out and nothing else is queued: its answer will come alone and soon, so a mover may poll for it
    /// before it sleeps.
    /// </summary>
    bool ExpectsLoneAnswer { get; }
}
