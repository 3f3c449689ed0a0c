using System.Globalization;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Hosting;
using NetScsi.Cli.Nodes;
using NetScsi.Cli.Parsing;
using NetScsi.Iscsi.Initiator;
using NetScsi.Transport.Ethernet;

namespace NetScsi.Cli.Initiator;

/// <summary>
/// Turns what the user typed (an <c>iscsi://</c> URL, or a node record name optionally followed by
/// <c>/LUN</c>) into a <see cref="ResolvedTarget"/>. Precedence: node record, then URL credentials,
/// then command-line flags (the last one wins).
/// </summary>
internal static class TargetResolver
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>True when the text is an iSCSI URL (by scheme), not a node name or a path.</summary>
    public static bool IsUrl(string text) =>
        text.StartsWith("iscsi:", StringComparison.OrdinalIgnoreCase) || text.Contains("://", StringComparison.Ordinal);

    /// <summary>Resolves a URL or node name that must name a target (a LUN is optional and defaults to 0).</summary>
    /// <exception cref="CliException">Usage: malformed URL, unknown node, URL without a target.</exception>
    public static ResolvedTarget ResolveTarget(string spec, InitiatorSettings settings)
    {
        var resolved = Resolve(spec, settings);
        if (resolved.TargetName is null)
        {
            throw CliException.Usage($"'{Redact(spec)}' names no target: expected iscsi://HOST[:PORT]/TARGET-IQN[/LUN] or a node name");
        }

        return resolved;
    }

    /// <summary>Resolves a portal for discovery: <c>HOST[:PORT]</c>, an <c>iscsi://</c> URL, or a node name.</summary>
    public static ResolvedTarget ResolvePortal(string spec, InitiatorSettings settings)
    {
        if (spec.StartsWith(EthernetTransport.TransportName + ":", StringComparison.OrdinalIgnoreCase) && !EthernetUrl.IsEthernetUrl(spec))
        {
            // eth:IFACE/MAC, the portal form of eth://IFACE/MAC; eth:IFACE finds the target's MAC by discovery.
            if (!EthernetPortal.TryParse(spec, out var ethernet, out var ethernetError))
            {
                throw CliException.Usage($"invalid portal '{spec}': {ethernetError}");
            }

            return BuildEthernet(new EthernetUrl(ethernet, null, null, null, null), settings);
        }

        if (!IsUrl(spec) && !settings.Nodes.Exists(spec))
        {
            if (!IscsiUrl.TryParse("iscsi://" + spec, out var portalOnly, out var error) || portalOnly.User is not null || !portalOnly.IsDiscoveryOnly)
            {
                throw CliException.Usage($"invalid portal '{Redact(spec)}': {error ?? "expected HOST[:PORT]"}");
            }

            return Build(portalOnly, lun: null, node: null, settings);
        }

        return Resolve(spec, settings);
    }

    private static ResolvedTarget Resolve(string spec, InitiatorSettings settings)
    {
        if (EthernetUrl.IsEthernetUrl(spec))
        {
            if (!EthernetUrl.TryParse(spec, out var ethernet, out var ethernetError))
            {
                throw CliException.Usage($"invalid Ethernet URL '{Redact(spec)}': {ethernetError}");
            }

            if (ethernet.User is not null && ethernet.Password is null)
            {
                throw CliException.Usage($"invalid Ethernet URL '{Redact(spec)}': the user name has no password (eth://USER%SECRET@IFACE/MAC/...)");
            }

            return BuildEthernet(ethernet, settings);
        }

        if (IsUrl(spec))
        {
            if (!IscsiUrl.TryParse(spec, out var url, out var error))
            {
                throw CliException.Usage($"invalid iSCSI URL '{Redact(spec)}': {error}");
            }

            if (url.User is not null && url.Password is null)
            {
                throw CliException.Usage($"invalid iSCSI URL '{Redact(spec)}': the user name has no password (iscsi://USER%SECRET@HOST/...)");
            }

            return Build(url, url.Lun, node: null, settings);
        }

        // NAME or NAME/LUN.
        string name = spec;
        ulong? lun = null;
        int slash = spec.LastIndexOf('/');
        if (slash > 0 && spec.Length > slash + 1 && spec[(slash + 1)..].All(char.IsAsciiDigit))
        {
            if (!ulong.TryParse(spec.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out ulong value) || value > 16383)
            {
                throw CliException.Usage($"'{spec[(slash + 1)..]}' is not a LUN (0 to 16383)");
            }

            name = spec[..slash];
            lun = value;
        }

        var node = settings.Nodes.TryLoad(name)
            ?? throw CliException.Usage($"'{Redact(spec)}' is neither an iSCSI URL (iscsi://HOST[:PORT]/TARGET-IQN/LUN) nor a node record in {settings.Nodes.Directory}");
        if (!IscsiUrl.TryParse($"iscsi://{node.Portal}/{node.Target}", out var nodeUrl, out var nodeError))
        {
            throw CliException.Usage($"node record '{settings.Nodes.PathOf(name)}' has an invalid portal or target: {nodeError}");
        }

        return Build(nodeUrl, lun, node, settings);
    }

    private static ResolvedTarget BuildEthernet(EthernetUrl url, InitiatorSettings settings)
    {
        if (url.Portal.Peer is null)
        {
            url = url with { Portal = DiscoverOne(url.Portal.Interface) };
        }

        var options = new IscsiSessionOptions { Portal = url.Portal, Connector = CliTransports.Ethernet, TargetName = url.TargetName };
        return Build(options, url.Portal.ToString(), url.TargetName, url.User, url.Password, url.Lun, node: null, settings);
    }

    /// <summary>The one station that answers discovery on <paramref name="interfaceName"/>; several or none is an error.</summary>
    private static EthernetPortal DiscoverOne(string interfaceName)
    {
        IReadOnlyList<EthernetPortal> found;
        try
        {
            found = CliTransports.Ethernet.DiscoverAsync(interfaceName, EthernetDiscoveryWait).GetAwaiter().GetResult();
        }
        catch (IOException e)
        {
            throw new CliException(ExitCodes.ConnectFailure, $"discovery on {interfaceName} failed: {e.Message}", e);
        }

        return found.Count switch
        {
            1 => found[0],
            0 => throw new CliException(ExitCodes.ConnectFailure, $"no target answers discovery on {interfaceName} (is one listening on eth:IFACE on this segment?)"),
            _ => throw CliException.Usage($"several targets answer on {interfaceName}: {string.Join(", ", found.Select(p => p.Peer))}; name one (eth:{interfaceName}/MAC or eth://{interfaceName}/MAC/...)"),
        };
    }

    private static readonly TimeSpan EthernetDiscoveryWait = TimeSpan.FromMilliseconds(400);

    private static ResolvedTarget Build(IscsiUrl url, ulong? lun, NodeRecord? node, InitiatorSettings settings)
    {
        var options = IscsiSessionOptions.FromUrl(url, CliTransports.Tcp);
        string portal = url.Host.Contains(':', StringComparison.Ordinal) ? $"[{url.Host}]:{url.Port}" : $"{url.Host}:{url.Port}";
        return Build(options, portal, url.TargetName, url.User, url.Password, lun, node, settings);
    }

    private static ResolvedTarget Build(IscsiSessionOptions options, string portal, string? targetName, string? user, string? password, ulong? lun, NodeRecord? node, InitiatorSettings settings)
    {
        options.ChapUser = null;
        options.ChapSecret = null;
        TimeSpan timeout = DefaultTimeout;
        if (node is not null)
        {
            options.InitiatorName = node.InitiatorName ?? options.InitiatorName;
            if (node.Chap is not null)
            {
                options.ChapUser = node.Chap.User;
                options.ChapSecret = node.Chap.Secret;
            }

            if (node.MutualChap is not null)
            {
                options.MutualChapUser = node.MutualChap.User;
                options.MutualChapSecret = node.MutualChap.Secret;
            }

            options.HeaderDigest = ParseDigest(node.HeaderDigest, node, "header_digest");
            options.DataDigest = ParseDigest(node.DataDigest, node, "data_digest");
            options.MaxRecvDataSegmentLength = node.MaxRecvDataSegmentLength ?? options.MaxRecvDataSegmentLength;
            options.ImmediateData = node.ImmediateData ?? options.ImmediateData;
            options.InitialR2T = node.InitialR2T ?? options.InitialR2T;
            if (node.TimeoutSeconds is double seconds && seconds > 0)
            {
                timeout = TimeSpan.FromSeconds(seconds);
            }
        }

        if (user is not null)
        {
            options.ChapUser = user;
            options.ChapSecret = password;
        }

        options.InitiatorName = settings.InitiatorName ?? options.InitiatorName;
        options.ChapAlgorithms = settings.ChapAlgorithms ?? options.ChapAlgorithms;
        options.HeaderDigest = settings.HeaderDigest ?? options.HeaderDigest;
        options.DataDigest = settings.DataDigest ?? options.DataDigest;
        options.Connections = settings.Connections ?? options.Connections;
        if (settings.Chap is not null)
        {
            options.ChapUser = settings.Chap.User;
            options.ChapSecret = settings.Chap.Secret;
        }

        if (settings.MutualChap is not null)
        {
            options.MutualChapUser = settings.MutualChap.User;
            options.MutualChapSecret = settings.MutualChap.Secret;
        }

        if (options.MutualChapSecret is not null && options.ChapSecret is null)
        {
            throw CliException.Usage("--mutual-chap needs one-way CHAP credentials too (--chap USER:SECRET or USER%SECRET@ in the URL)");
        }

        // Asked-for digests are required: a silent fall-back to None would hide what the user tested.
        options.RequireDigests = options.HeaderDigest || options.DataDigest;
        timeout = settings.Timeout ?? timeout;
        options.LoginTimeout = timeout;
        options.CommandTimeout = timeout;
        // A command-line tool should not sit for two minutes waiting for a lost target to come back.
        options.ReplacementTimeout = timeout;

        return new ResolvedTarget(portal, targetName, lun ?? 0, lun is not null, options, node);
    }

    private static bool ParseDigest(string? value, NodeRecord node, string key)
    {
        if (value is null)
        {
            return false;
        }

        return DigestParser.TryParse(value, out bool crc)
            ? crc
            : throw CliException.Usage($"node record '{node.Name}': {key} '{value}' is not None or CRC32C");
    }

    /// <summary>The text with any <c>user%secret@</c> part masked, safe to print.</summary>
    public static string Redact(string text)
    {
        if (text.Length == 0)
        {
            return text;
        }

        int scheme = text.IndexOf("://", StringComparison.Ordinal);
        int start = scheme < 0 ? 0 : scheme + 3;
        int slash = text.IndexOf('/', start);
        int at = text.LastIndexOf('@', slash < 0 ? text.Length - 1 : slash);
        if (at < start)
        {
            return text;
        }

        string userInfo = text[start..at];
        int percent = userInfo.IndexOf('%', StringComparison.Ordinal);
        string masked = percent < 0 ? userInfo : userInfo[..percent] + "%***";
        return text[..start] + masked + text[at..];
    }
}
