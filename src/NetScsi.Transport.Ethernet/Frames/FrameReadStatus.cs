namespace NetScsi.Transport.Ethernet;

/// <summary>What <see cref="FrameHeader.TryRead"/> found.</summary>
public enum FrameReadStatus
{
    /// <summary>A well-formed header whose payload lies within the frame.</summary>
    Ok,

    /// <summary>Shorter than the header.</summary>
    Truncated,

    /// <summary>A version this code does not speak.</summary>
    UnknownVersion,

    /// <summary>The payload length runs past the end of the frame.</summary>
    PayloadBeyondFrame,

    /// <summary>Flags no sender sets together (SYN with FIN or RST) or reserved bits set.</summary>
    InvalidFlags,
}
