using Microsoft.Extensions.Logging;
using NetScsi.Iscsi.Configuration;
using NetScsi.Transport;

namespace NetScsi.Cli.Configuration;

/// <summary>
/// What <c>netscsi target serve</c> runs: the merge of the config file and the command-line flags.
/// Values are already parsed (endpoints, byte counts); <see cref="ServeConfigurationValidator"/> checks
/// the cross-field rules.
/// </summary>
internal sealed class ServeConfiguration
{
    public const int DefaultQueueDepth = 128;

    /// <summary>Connections per session offered by default (MC/S, RFC 7143 §13.2).</summary>
    public const int DefaultMaxConnections = 4;

    /// <summary>TCP portals to listen on.</summary>
    public List<Portal> Portals { get; } = new();

    public List<TargetConfig> Targets { get; } = new();

    /// <summary>CmdSN window per session (commands outstanding).</summary>
    public int QueueDepth { get; set; } = DefaultQueueDepth;

    /// <summary>Most connections per session (MaxConnections the target agrees to).</summary>
    public int MaxConnections { get; set; } = DefaultMaxConnections;

    public LogLevel LogLevel { get; set; } = LogLevel.Information;

    /// <summary>Where Prometheus scrapes the metrics (<c>/metrics</c>); null = no metrics are measured.</summary>
    public System.Net.IPEndPoint? Metrics { get; set; }

    /// <summary>CHAP credentials discovery sessions must authenticate with; null = discovery is open.</summary>
    public ChapConfig? DiscoveryChap { get; set; }

    /// <summary>Credentials the target answers a discovery session's mutual CHAP with.</summary>
    public ChapConfig? DiscoveryMutualChap { get; set; }

    /// <summary>Connection and session limits (the config file's <c>limits</c>); the target's defaults otherwise.</summary>
    public IscsiTargetLimits Limits { get; } = new();

    /// <summary>ALUA for every LUN (docs/config.md, "ALUA"); null: off.</summary>
    public AluaConfig? Alua { get; set; }
}
