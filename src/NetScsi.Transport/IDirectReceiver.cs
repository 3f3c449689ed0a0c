namespace NetScsi.Transport;

/// <summary>
/// Optional capability of a stream data mover: RFC 5047 Get_Data into the consumer's own buffer. When the
/// consumer has consumed everything the input pipe holds (AdvanceTo its end) and has no read pending on it,
/// the next bytes of the stream can be received straight into a buffer of its choosing (a command's data
/// buffer) instead of passing through the pipe and being copied out of it.
/// </summary>
public interface IDirectReceiver
{
    /// <summary>Receives the next bytes of the stream into <paramref name="buffer"/>; 0 when the peer has closed it.</summary>
    ValueTask<int> ReceiveDirectAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes the input pipe's next read of the stream take at most <paramref name="length"/> bytes (reads after it
    /// take what they can again). A consumer that expects the next PDU to be another large one whose data it will
    /// receive directly asks for just its header, so none of that data has to be copied out of the pipe.
    /// </summary>
    void LimitNextPipeRead(int length);

    /// <summary>
    /// Makes the next <see cref="ReceiveDirectAsync"/>, when nothing has arrived yet, keep checking the stream for up
    /// to <paramref name="duration"/> before it waits to be woken: for the rest of a PDU whose start has come, which a
    /// peer on the same host or a fast LAN sends within microseconds.
    /// </summary>
    void PollNextDirectReceive(TimeSpan duration);
}
