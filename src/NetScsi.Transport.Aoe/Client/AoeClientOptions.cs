namespace NetScsi.Transport.Aoe.Client;

/// <summary>How an <see cref="AoeDevice"/> waits, retransmits and completes.</summary>
public sealed class AoeClientOptions
{
    /// <summary>A frame unanswered this long after its first transmission fails its I/O [default: 30 s].</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The retransmission timer before any reply has been measured [default: 200 ms].</summary>
    public TimeSpan InitialRetransmitTimeout { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The timer's floor [default: 20 ms]: on a veth the RTT is tens of microseconds, but a target writing to a disk
    /// pauses for milliseconds, and a retransmitted write that lands after a newer one to the same sectors undoes it.
    /// </summary>
    public TimeSpan MinimumRetransmitTimeout { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>The ceiling of one wait as the back-off doubles it [default: 2 s].</summary>
    public TimeSpan MaximumRetransmitTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Frames in flight at most; 0 takes the target's advertised buffer count [default: 0]. At most 256.</summary>
    public int MaxOutstanding { get; set; }

    /// <summary>
    /// Run the awaiting code on the receive thread when an I/O completes (no thread hop; for a benchmark whose
    /// continuation only issues the next I/O). The default queues it to the thread pool.
    /// </summary>
    public bool InlineCompletions { get; set; }
}
