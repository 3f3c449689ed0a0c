using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Messaging;

namespace NetScsi.Scsi.Emulation;

/// <summary>
/// A communications device logical unit (peripheral device type 09h, SCSI-2 §18) on the SPC-4 core
/// (<see cref="ScsiLogicalUnit"/>): the receiving end of IP over SCSI (RFC 2143 §3). Each SEND MESSAGE carries one
/// message (a datagram), which goes whole to an <see cref="IMessageSink"/>; SEND MESSAGE(10)'s STREAM SELECTION says
/// its payload type. RFC 2143's hosts push datagrams to each other's targets, so GET MESSAGE is not implemented.
/// Refused: a transfer length beyond <see cref="CommunicationsLogicalUnitOptions.MaxMessageLength"/>, or other than
/// the data that arrived, and a stream the sink does not take (ILLEGAL REQUEST, INVALID FIELD IN CDB pointing at the
/// field); a full sink makes the unit drop and count, or answer BUSY / TASK SET FULL
/// (<see cref="CommunicationsLogicalUnitOptions.QueueFullAction"/>), so memory stays bounded whatever initiators send.
/// </summary>
public sealed class CommunicationsLogicalUnit : ScsiLogicalUnit
{
    /// <summary>The commands of a communications unit besides the core's primary commands.</summary>
    private static readonly CommandTable s_commands = CommandTable.WithPrimaryCommands(
    [
        new(ScsiOpcode.SendMessage6, null, [ScsiOpcode.SendMessage6, 0x00, 0xFF, 0xFF, 0xFF, 0x04],
            static unit => ((CommunicationsLogicalUnit)unit)._options.UnselectedStream is not null),
        new(ScsiOpcode.SendMessage10, null, [ScsiOpcode.SendMessage10, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0xFF, 0xFF, 0x04]),
        new(ScsiOpcode.ReadMessageData, null, [ScsiOpcode.ReadMessageData, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x04],
            static unit => ((CommunicationsLogicalUnit)unit)._options.DataSource is not null),
    ]);

    private readonly IMessageSink _sink;
    private readonly CommunicationsLogicalUnitOptions _options;
    private long _messagesDelivered;
    private long _bytesDelivered;
    private long _messagesDropped;
    private long _queueFullRefusals;
    private long _unknownStreamRefusals;
    private long _lengthRefusals;
    private long _bytesRead;

    public CommunicationsLogicalUnit(IMessageSink sink, CommunicationsLogicalUnitOptions options)
        : base(
            options ?? throw new ArgumentNullException(nameof(options)),
            options.Identity,
            new InquiryProfile(Scsi.PeripheralDeviceType.Communications),
            s_commands)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxMessageLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)options.MaxMessageLength, SendMessageCdb.MaxTransferLength6);
        _sink = sink;
        _options = options;
    }

    /// <summary>What has become of the messages sent so far.</summary>
    public CommunicationsCounters Counters => new(
        Interlocked.Read(ref _messagesDelivered),
        Interlocked.Read(ref _bytesDelivered),
        Interlocked.Read(ref _messagesDropped),
        Interlocked.Read(ref _queueFullRefusals),
        Interlocked.Read(ref _unknownStreamRefusals),
        Interlocked.Read(ref _lengthRefusals));

    /// <summary>Bytes initiators pulled with READ MESSAGE DATA.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Nothing is cached: a message is the sink's once it took it.</summary>
    public override ValueTask FlushAsync(CancellationToken cancellationToken) => default;

    private protected override ValueTask DispatchAsync(ScsiTask task, byte opcode, CancellationToken cancellationToken)
    {
        switch (opcode)
        {
            case ScsiOpcode.SendMessage6:
            case ScsiOpcode.SendMessage10:
                SendMessage(task);
                break;
            case ScsiOpcode.ReadMessageData:
                ReadMessageData(task);
                break;
            default:
                ExecutePrimaryCommand(task, opcode);
                break;
        }
        return default;
    }

    /// <summary>READ MESSAGE DATA (vendor C1h): a range of registered message data as data-in, whole or refused.</summary>
    private void ReadMessageData(ScsiTask task)
    {
        if (!ReadMessageDataCdb.TryParse(task.Cdb, out ReadMessageDataCdb cdb))
        {
            task.InvalidFieldInCdb(0);
            return;
        }
        task.CommandTransferLength = cdb.TransferLength;
        if (cdb.TransferLength == 0)
        {
            return;
        }
        if (cdb.TransferLength > (uint)_options.MaxReadLength || cdb.TransferLength > (uint)task.Buffer.Length)
        {
            Interlocked.Increment(ref _lengthRefusals);
            task.InvalidFieldInCdb(ReadMessageDataCdb.TransferLengthOffset);
            return;
        }
        int length = (int)cdb.TransferLength;
        if (!_options.DataSource!.TryRead(cdb.Handle, cdb.Offset, task.Buffer.Span[..length]))
        {
            task.InvalidFieldInCdb(ReadMessageDataCdb.HandleOffset);
            return;
        }
        task.DataInLength = length;
        Interlocked.Add(ref _bytesRead, length);
    }

    /// <summary>SCSI-2 §18.2.4 / §18.2.5, RFC 2143 §3: SEND MESSAGE(6) and (10): one whole message to the sink.</summary>
    private void SendMessage(ScsiTask task)
    {
        if (!SendMessageCdb.TryParse(task.Cdb, out SendMessageCdb cdb))
        {
            task.InvalidFieldInCdb(0);
            return;
        }
        task.CommandTransferLength = cdb.TransferLength;
        if (cdb.TransferLength == 0)
        {
            // SCSI-2 §18.2.4: a transfer length of zero sends nothing and is not an error.
            return;
        }
        if (cdb.TransferLength > (uint)_options.MaxMessageLength || DataOutLength(task) != cdb.TransferLength)
        {
            // Too long for the link, or not all of it (or more than it) arrived: a datagram is delivered whole or not at all.
            Interlocked.Increment(ref _lengthRefusals);
            task.InvalidFieldInCdb(cdb.TransferLengthOffset);
            return;
        }
        ushort stream = cdb.CdbLength == SendMessageCdb.Length6 ? _options.UnselectedStream.GetValueOrDefault() : cdb.StreamSelection;
        if (!_sink.AcceptsStream(stream))
        {
            // SEND MESSAGE(10) names the stream; SEND MESSAGE(6) has none, so the command itself is what cannot be taken.
            Interlocked.Increment(ref _unknownStreamRefusals);
            task.InvalidFieldInCdb(cdb.CdbLength == SendMessageCdb.Length6 ? 0 : SendMessageCdb.StreamSelectionOffset);
            return;
        }
        int length = (int)cdb.TransferLength;
        if (_sink.TryDeliver(stream, task.Buffer.Span[..length]))
        {
            Interlocked.Increment(ref _messagesDelivered);
            Interlocked.Add(ref _bytesDelivered, length);
            return;
        }
        switch (_options.QueueFullAction)
        {
            case MessageQueueFullAction.Busy:
                Interlocked.Increment(ref _queueFullRefusals);
                task.Status = ScsiStatus.Busy;
                break;
            case MessageQueueFullAction.TaskSetFull:
                Interlocked.Increment(ref _queueFullRefusals);
                task.Status = ScsiStatus.TaskSetFull;
                break;
            default:
                // Like a NIC whose receive ring is full: the datagram is lost, and counted; IP's upper layers recover.
                Interlocked.Increment(ref _messagesDropped);
                break;
        }
    }
}
