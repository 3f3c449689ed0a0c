namespace NetScsi.Transport.Ethernet;

/// <summary>The flags octet of a <see cref="FrameHeader"/>.</summary>
[Flags]
public enum FrameFlags : byte
{
    None = 0,

    /// <summary>Opens a connection: the sender's connection id and initial sequence number.</summary>
    Syn = 0x01,

    /// <summary>The acknowledgement and window fields are valid.</summary>
    Ack = 0x02,

    /// <summary>The sender has no more data: the FIN occupies one sequence number after the payload.</summary>
    Fin = 0x04,

    /// <summary>The sender aborted the connection (or knows none with that id).</summary>
    Rst = 0x08,

    /// <summary>The receiver answers at once with an acknowledgement (window probe, keepalive).</summary>
    AckRequest = 0x10,
}
