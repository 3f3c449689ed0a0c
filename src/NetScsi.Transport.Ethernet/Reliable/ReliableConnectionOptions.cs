namespace NetScsi.Transport.Ethernet;

/// <summary>The knobs of one <see cref="ReliableConnection"/>.</summary>
public sealed record ReliableConnectionOptions
{
    /// <summary>The largest payload of one frame: the link's MTU less <see cref="FrameHeader.Length"/>.</summary>
    public int MaxPayload { get; init; } = 1500 - FrameHeader.Length;

    /// <summary>Bytes the sender keeps until acknowledged (a power of two): the bound on unacknowledged data.</summary>
    public int SendBufferSize { get; init; } = 1 << 20;

    /// <summary>Bytes the receiver holds for the reader, in order or not (a power of two): the advertised window.</summary>
    public int ReceiveBufferSize { get; init; } = 1 << 20;

    /// <summary>Retransmission timeout before any round trip is measured.</summary>
    public TimeSpan InitialRetransmitTimeout { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The floor of the adaptive timeout: a loaded host answers late, and a spurious retransmission costs a window.</summary>
    public TimeSpan MinRetransmitTimeout { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>The ceiling of the backed-off timeout: retries keep coming through an outage of a few seconds.</summary>
    public TimeSpan MaxRetransmitTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the connect handshake may take before the connection fails.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>After this long with nothing received, the connection asks its peer for an acknowledgement.</summary>
    public TimeSpan KeepaliveInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>After this long with nothing received (keepalives unanswered), the peer is dead: the connection resets.</summary>
    public TimeSpan DeadPeerTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Out-of-order ranges the receiver remembers; a frame that would need more is dropped (and retransmitted).</summary>
    public int MaxOutOfOrderRanges { get; init; } = 32;

    internal void Validate()
    {
        if (MaxPayload is < 64 or > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPayload), MaxPayload, "The payload of a frame must be 64 to 65535 bytes.");
        }

        if (!IsPowerOfTwo(SendBufferSize) || SendBufferSize < MaxPayload)
        {
            throw new ArgumentOutOfRangeException(nameof(SendBufferSize), SendBufferSize, "The send buffer must be a power of two no smaller than a frame's payload.");
        }

        if (!IsPowerOfTwo(ReceiveBufferSize) || ReceiveBufferSize < MaxPayload)
        {
            throw new ArgumentOutOfRangeException(nameof(ReceiveBufferSize), ReceiveBufferSize, "The receive buffer must be a power of two no smaller than a frame's payload.");
        }
    }

    private static bool IsPowerOfTwo(int value) => value > 0 && (value & (value - 1)) == 0;
}
