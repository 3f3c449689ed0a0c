namespace NetScsi.Scsi.Emulation;

/// <summary>What a communications device logical unit has done with the messages sent to it, since it was created.</summary>
/// <param name="MessagesDelivered">Messages its sink took.</param>
/// <param name="BytesDelivered">Bytes of those messages.</param>
/// <param name="MessagesDropped">Messages dropped because the sink had no room (<see cref="MessageQueueFullAction.DropAndCount"/>).</param>
/// <param name="QueueFullRefusals">Commands answered BUSY or TASK SET FULL because the sink had no room.</param>
/// <param name="UnknownStreamRefusals">Commands refused for a STREAM SELECTION the sink does not take.</param>
/// <param name="LengthRefusals">Commands refused for a transfer length too large or not matching the data sent.</param>
public readonly record struct CommunicationsCounters(
    long MessagesDelivered,
    long BytesDelivered,
    long MessagesDropped,
    long QueueFullRefusals,
    long UnknownStreamRefusals,
    long LengthRefusals);
