using System.Text.Json.Serialization;

namespace NetScsi.Cli.Json.Output;

/// <summary><c>netscsi discover --json</c>: what SendTargets returned, and the node records saved.</summary>
internal sealed record DiscoverJson(
    string Portal,
    IReadOnlyList<DiscoveredTargetJson> Targets,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Saved);

/// <summary>One target and the portals it can be reached at.</summary>
internal sealed record DiscoveredTargetJson(string Target, IReadOnlyList<DiscoveredPortalJson> Portals);

/// <summary>One TargetAddress: the address as sent, split, and its portal group tag (null when absent).</summary>
internal sealed record DiscoveredPortalJson(string Address, string Host, int Port, [property: JsonPropertyName("tpgt")] ushort? PortalGroupTag);
