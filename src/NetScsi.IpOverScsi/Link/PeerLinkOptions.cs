namespace NetScsi.IpOverScsi.Link;

/// <summary>How every <see cref="PeerLink"/> of an interface behaves.</summary>
public sealed class PeerLinkOptions
{
    /// <summary>Most SEND MESSAGE commands outstanding to one peer; more datagrams are dropped (a NIC's full transmit ring). Memory: this many MTU-sized buffers.</summary>
    public int MaxInFlight { get; set; } = 64;

    /// <summary>First wait before logging in again after a failure; doubles up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest wait between login attempts.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the link checks whether its session was lost for good.</summary>
    public TimeSpan HealthInterval { get; set; } = TimeSpan.FromMilliseconds(200);
}
