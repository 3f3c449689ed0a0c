namespace NetScsi.Transport;

/// <summary>
/// Optional capability of a stream data mover: its input pipe's next read, when nothing has arrived yet, can
/// keep checking the stream for a while before it waits to be woken. For a consumer that expects an answer
/// within microseconds (its one outstanding command, to a target on the same host or a fast LAN): the answer
/// is then taken without a thread wake-up, at the price of the CPU the polling burns.
/// </summary>
public interface IPollingReceiver
{
    /// <summary>Makes the input pipe's next read poll the stream for up to <paramref name="duration"/> before it waits.</summary>
    void PollNextRead(TimeSpan duration);
}
