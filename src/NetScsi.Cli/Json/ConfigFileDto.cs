using NetScsi.Transport;

namespace NetScsi.Cli.Json;

/// <summary>The config file's top level, as written (docs/config.md). Null = not given.</summary>
internal sealed class ConfigFileDto
{
    public List<Portal>? Portals { get; set; }

    public int? QueueDepth { get; set; }

    public int? MaxConnections { get; set; }

    public string? LogLevel { get; set; }

    public List<TargetDto>? Targets { get; set; }

    public LimitsDto? Limits { get; set; }

    public string? Metrics { get; set; }

    public ChapDto? DiscoveryChap { get; set; }

    public ChapDto? DiscoveryMutualChap { get; set; }

    public AluaDto? Alua { get; set; }
}

/// <summary><c>"alua": {"tpg": "1=standby", "peerTpgs": ["2"], "followLock": true}</c>.</summary>
internal sealed class AluaDto
{
    public string? Tpg { get; set; }

    public List<string>? PeerTpgs { get; set; }

    public bool? FollowLock { get; set; }
}
