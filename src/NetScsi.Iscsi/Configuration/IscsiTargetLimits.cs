namespace NetScsi.Iscsi.Configuration;

/// <summary>
/// How much a peer, or all peers together, may hold open (docs/reliability.md). The defaults leave room for
/// 1000 sessions from one initiator address (the load test), while a peer that opens connections and never
/// logs in is stopped at <see cref="MaxConnectionsInLogin"/> and, after the login timeout, dropped.
/// </summary>
public sealed class IscsiTargetLimits
{
    /// <summary>Connections accepted whose login has not completed (all addresses together); more are closed at accept.</summary>
    public int MaxConnectionsInLogin { get; set; } = 1024;

    /// <summary>Connections (in login, discovery or normal) from one initiator IP address; more are closed at accept.</summary>
    public int MaxConnectionsPerInitiatorAddress { get; set; } = 2048;

    /// <summary>Normal sessions of one target; a leading login past it gets status 0x0302 (out of resources).</summary>
    public int MaxSessionsPerTarget { get; set; } = 4096;

    /// <summary>Normal sessions from one initiator IP address (all targets); a leading login past it gets 0x0302.</summary>
    public int MaxSessionsPerInitiatorAddress { get; set; } = 1024;

    /// <summary>
    /// How long a connection's output may make no progress (the peer reads nothing while a response or Data-In waits
    /// to go out) before the connection is dropped; zero never drops. What waits meanwhile is bounded: the transport's
    /// buffer (in-memory pipe 4 MiB, TCP the socket's send buffer plus one 256 KiB flush), and the data of commands
    /// queued behind it (<see cref="IscsiTargetOptions.SessionBufferBudget"/>, <see cref="IscsiTargetOptions.QueueDepth"/>).
    /// </summary>
    public TimeSpan OutputStallTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
