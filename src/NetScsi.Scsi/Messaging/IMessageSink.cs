namespace NetScsi.Scsi.Messaging;

/// <summary>
/// Where a communications device logical unit delivers the messages initiators send it (SEND MESSAGE, SCSI-2
/// §18.2): the local network interface of IP over SCSI (RFC 2143), a message-passing layer. Called on the command's
/// path, concurrently; an implementation copies the message and returns at once (a bounded queue, a non-blocking
/// write), it never waits for room.
/// </summary>
public interface IMessageSink
{
    /// <summary>
    /// Whether the sink takes messages of this STREAM SELECTION. RFC 2143 §3 makes it the payload type, in the values
    /// of the Ethernet type field (0800h IPv4); a stream the sink does not take is refused with CHECK CONDITION.
    /// </summary>
    bool AcceptsStream(ushort streamSelection);

    /// <summary>
    /// Takes one whole message of an accepted stream (the span is valid only during the call). False when the sink
    /// has no room now; the unit then drops and counts the message or answers BUSY / TASK SET FULL, as configured.
    /// </summary>
    bool TryDeliver(ushort streamSelection, ReadOnlySpan<byte> message);
}
