namespace NetScsi.Transport.Tcp;

/// <summary>How the TCP transport's initiator connections receive.</summary>
public sealed class TcpTransportOptions
{
    /// <summary>
    /// When the initiator waits for the answer to its only outstanding command, its connection first polls the socket
    /// for up to this long before its thread sleeps. An answer that comes within microseconds (a target on the same
    /// host, a fast LAN) is then taken without the cost of a wake-up, which on a virtual machine can exceed the round
    /// trip itself. Polling burns the CPU it runs on, so it is kept to lone commands (deeper queues answer in batches
    /// that one wake-up serves) and, after a poll that found nothing, skipped for the next waits: against slower
    /// targets it turns itself off. The same goes for the rest of a large Data-In whose start has arrived, at any
    /// queue depth: a target that writes header and data separately (tgt) leaves a gap of microseconds between them,
    /// shorter than a sleep and a wake-up; that poll backs off the same way on its own.
    /// 50 µs by default; zero disables both.
    /// </summary>
    public TimeSpan ReceivePollTime { get; set; } = TimeSpan.FromMicroseconds(50);
}
