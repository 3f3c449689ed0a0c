namespace NetScsi.IpOverScsi.Link;

/// <summary>Where a <see cref="PeerLink"/> stands.</summary>
public enum PeerState
{
    /// <summary>Logging in (first time, or again after the session was lost for good).</summary>
    Connecting,

    /// <summary>Logged in to a communications device: datagrams go out.</summary>
    Up,

    /// <summary>The session is recovering, or the last login failed and the link waits to try again: datagrams are dropped and counted.</summary>
    Down,

    /// <summary>Disposed.</summary>
    Closed,
}
