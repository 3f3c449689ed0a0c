namespace NetScsi.Scsi.Messaging;

/// <summary>One message taken from a <see cref="MessageReceiveQueue"/>: its stream and its length in the caller's buffer.</summary>
/// <param name="StreamSelection">The STREAM SELECTION it was sent with (RFC 2143 §3: the payload type).</param>
/// <param name="Length">Bytes copied into the destination.</param>
public readonly record struct MessageInfo(ushort StreamSelection, int Length);
