namespace NetScsi.Transport.Ethernet;

/// <summary>What a connection has seen and done beyond the plain case (for tests, diagnostics and the bench report).</summary>
public struct ReliableConnectionCounters
{
    /// <summary>Frames sent again: by timeout (go-back) or fast retransmission.</summary>
    public long Retransmissions;

    /// <summary>Retransmission timeouts that fired.</summary>
    public long Timeouts;

    /// <summary>Fast retransmissions after three duplicate acknowledgements.</summary>
    public long FastRetransmissions;

    /// <summary>Payload frames received entirely before the next expected offset.</summary>
    public long DuplicateFrames;

    /// <summary>Payload frames received ahead of a gap and kept for reassembly.</summary>
    public long OutOfOrderFrames;

    /// <summary>Frames dropped because their offsets or acknowledgement lie outside any window.</summary>
    public long OutOfWindowFrames;
}
