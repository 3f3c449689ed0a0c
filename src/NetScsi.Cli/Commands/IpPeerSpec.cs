using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using NetScsi.Iscsi.Initiator;

namespace NetScsi.Cli.Commands;

/// <summary>One <c>--peer IP=URL</c>: a neighbour's IPv4 address and the iSCSI URL of its communications device.</summary>
internal sealed record IpPeerSpec(IPAddress? Address, IscsiUrl Url)
{
    /// <summary>
    /// <c>10.99.0.2=iscsi://HOST[:PORT][/IQN[/LUN]]</c>; no IQN: SendTargets picks the portal's first target; no LUN: 0.
    /// The URL alone: the address is found by a neighbour query when a datagram first needs it.
    /// </summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out IpPeerSpec? spec, [NotNullWhen(false)] out string? error)
    {
        spec = null;
        if (text.StartsWith("iscsi://", StringComparison.OrdinalIgnoreCase))
        {
            if (!IscsiUrl.TryParse(text, out IscsiUrl? bare, out string? bareError))
            {
                error = $"--peer '{text}': {bareError}";
                return false;
            }
            spec = new IpPeerSpec(null, bare);
            error = null;
            return true;
        }
        int equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            error = $"--peer '{text}': expected IP=URL or URL, e.g. 10.99.0.2=iscsi://192.0.2.2:3260/iqn.2026-11.org.netscsi:ip-10.99.0.2/0";
            return false;
        }
        string address = text[..equals];
        if (!IPAddress.TryParse(address, out IPAddress? ip) || ip.AddressFamily != AddressFamily.InterNetwork || address.Count(c => c == '.') != 3)
        {
            error = $"--peer '{text}': '{address}' is not an IPv4 address (RFC 2143 carries IPv4)";
            return false;
        }
        if (!IscsiUrl.TryParse(text[(equals + 1)..], out IscsiUrl? url, out string? urlError))
        {
            error = $"--peer '{text}': {urlError}";
            return false;
        }
        spec = new IpPeerSpec(ip, url);
        error = null;
        return true;
    }
}
