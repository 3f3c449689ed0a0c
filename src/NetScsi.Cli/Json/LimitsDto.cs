namespace NetScsi.Cli.Json;

/// <summary>The config file's <c>limits</c> object (docs/config.md, docs/reliability.md). Null = the default.</summary>
internal sealed class LimitsDto
{
    public int? MaxConnectionsInLogin { get; set; }

    public int? MaxConnectionsPerInitiatorAddress { get; set; }

    public int? MaxSessionsPerTarget { get; set; }

    public int? MaxSessionsPerInitiatorAddress { get; set; }

    /// <summary>Seconds a connection's output may make no progress before it is dropped; 0 never drops.</summary>
    public int? OutputStallTimeoutSeconds { get; set; }
}
