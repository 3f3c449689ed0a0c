namespace NetScsi.Transport.Ethernet;

/// <summary>How the Ethernet transport runs its connections.</summary>
public sealed record EthernetTransportOptions
{
    /// <summary>
    /// Each connection's window (its send and receive rings) in frames of the interface's MTU, rounded up to a power of
    /// two and held between 256 KiB and 16 MiB: the bound on memory per connection (twice the window, plus its pipes).
    /// </summary>
    public int WindowFrames { get; init; } = 256;

    /// <summary>Frames one <c>recvmmsg</c>/<c>sendmmsg</c> takes at most (fewer for jumbo frames: 4 MiB a batch).</summary>
    public int BatchFrames { get; init; } = 64;

    /// <summary>Timers and the rest of each connection's protocol (payload and windows come from the interface and <see cref="WindowFrames"/>).</summary>
    public ReliableConnectionOptions ConnectionOptions { get; init; } = new();

    /// <summary>How long an orderly close waits for the peer to acknowledge everything before it aborts.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The clock of the protocol's timers.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
