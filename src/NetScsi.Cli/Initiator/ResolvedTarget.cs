using NetScsi.Cli.Nodes;
using NetScsi.Iscsi.Initiator;

namespace NetScsi.Cli.Initiator;

/// <summary>A URL or node name turned into where to connect and how to log in.</summary>
/// <param name="Portal">host:port as the user would write it (IPv6 in brackets).</param>
/// <param name="TargetName">Target IQN, null for a discovery-only portal.</param>
/// <param name="Lun">The LUN the URL or node spec names (0 when it names none).</param>
/// <param name="LunGiven">True when the spec named a LUN explicitly.</param>
/// <param name="Options">Session options: portal, target, credentials, digests, timeouts.</param>
/// <param name="Node">The node record it came from, if any.</param>
internal sealed record ResolvedTarget(string Portal, string? TargetName, ulong Lun, bool LunGiven, IscsiSessionOptions Options, NodeRecord? Node)
{
    /// <summary>"iqn... at 127.0.0.1:3260" for messages.</summary>
    public string Describe() => TargetName is null ? Portal : $"{TargetName} at {Portal}";

    /// <summary>The URL form without secrets.</summary>
    public string Url(bool withLun = true)
    {
        // An Ethernet portal reads eth:IFACE/MAC; its URL is eth://IFACE/MAC/...
        string where = Portal.StartsWith("eth:", StringComparison.Ordinal) ? "eth://" + Portal[4..] : $"iscsi://{Portal}";
        return TargetName is null ? where : withLun ? $"{where}/{TargetName}/{Lun}" : $"{where}/{TargetName}";
    }
}
