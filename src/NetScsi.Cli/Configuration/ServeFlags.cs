using Microsoft.Extensions.Logging;

using NetScsi.Transport;

namespace NetScsi.Cli.Configuration;

/// <summary>The flags of <c>netscsi target serve</c>, parsed; null / empty = not given.</summary>
internal sealed record ServeFlags
{
    public string? ConfigPath { get; init; }

    public IReadOnlyList<Portal> Listen { get; init; } = [];

    public string? Iqn { get; init; }

    public string? Alias { get; init; }

    public IReadOnlyList<LunConfig> Luns { get; init; } = [];

    public ChapConfig? Chap { get; init; }

    public ChapConfig? MutualChap { get; init; }

    public IReadOnlyList<AclConfig> Acls { get; init; } = [];

    public ChapConfig? DiscoveryChap { get; init; }

    public System.Net.IPEndPoint? Metrics { get; init; }

    public ChapConfig? DiscoveryMutualChap { get; init; }

    public int? QueueDepth { get; init; }

    public int? MaxConnections { get; init; }

    public LogLevel? LogLevel { get; init; }

    public TpgSpec? Tpg { get; init; }

    public IReadOnlyList<TpgSpec> PeerTpgs { get; init; } = [];

    public bool AluaFollowLock { get; init; }

    /// <summary>Flags that describe one target (as opposed to the whole server).</summary>
    public bool HasTargetFlags =>
        Iqn is not null || Alias is not null || Luns.Count > 0 || Chap is not null || MutualChap is not null || Acls.Count > 0;
}
