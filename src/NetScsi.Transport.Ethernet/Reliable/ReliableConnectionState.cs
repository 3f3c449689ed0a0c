namespace NetScsi.Transport.Ethernet;

/// <summary>Where a <see cref="ReliableConnection"/> is in its life.</summary>
public enum ReliableConnectionState
{
    /// <summary>Initiator: SYN sent, waiting for the SYN+ACK that names the peer's connection id.</summary>
    SynSent,

    /// <summary>Acceptor: SYN+ACK sent, waiting for the first acknowledgement.</summary>
    SynReceived,

    /// <summary>Data flows both ways.</summary>
    Established,

    /// <summary>Both FINs sent and acknowledged: an orderly end.</summary>
    Closed,

    /// <summary>Aborted (by either end, or the peer went silent): undelivered data is lost.</summary>
    Reset,
}
