namespace NetScsi.Scsi.Messaging;

/// <summary>
/// Message data a communications unit's owner registered for initiators to pull with READ MESSAGE DATA (vendor
/// opcode C1h, <see cref="Commands.ReadMessageDataCdb"/>): the large messages of a message-passing layer, which the
/// receiver reads straight into its posted buffer instead of being pushed one SEND MESSAGE at a time. Called on the
/// command's path, concurrently; it copies and returns, it never waits.
/// </summary>
public interface IMessageDataSource
{
    /// <summary>
    /// Copies <paramref name="destination"/>.Length bytes from offset <paramref name="offset"/> of the data registered
    /// under <paramref name="handle"/>. False when no data is registered under the handle or the range goes past
    /// its end; the unit then answers CHECK CONDITION, ILLEGAL REQUEST, INVALID FIELD IN CDB.
    /// </summary>
    bool TryRead(uint handle, uint offset, Span<byte> destination);
}
