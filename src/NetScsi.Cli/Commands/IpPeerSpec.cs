using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using NetScsi.Cli.Hosting;
using NetScsi.Iscsi.Initiator;
using NetScsi.Transport.Ethernet;

namespace NetScsi.Cli.Commands;

/// <summary>
/// One <c>--peer [IP=]URL</c>: a neighbour's IPv4 address (or none: a neighbour query finds it) and the URL of its
/// communications device, over TCP (<c>iscsi://</c>) or raw Ethernet (<c>eth://</c>).
/// </summary>
internal sealed class IpPeerSpec
{
    private const string Example = "10.99.0.2=iscsi://192.0.2.2:3260/iqn.2026-11.org.netscsi:ip-10.99.0.2/0 or 10.99.0.2=eth://eth1/02:00:00:00:00:02/iqn.2026-11.org.netscsi:ip-10.99.0.2/0";

    private readonly IscsiUrl? _iscsi;
    private readonly EthernetUrl? _ethernet;

    private IpPeerSpec(IPAddress? address, IscsiUrl? iscsi, EthernetUrl? ethernet)
    {
        Address = address;
        _iscsi = iscsi;
        _ethernet = ethernet;
    }

    /// <summary>The neighbour's address on the SCSI network; null when a neighbour query is to find it.</summary>
    public IPAddress? Address { get; }

    /// <summary>The communications device's LUN (0 when the URL names none).</summary>
    public ulong Lun => (_iscsi is not null ? _iscsi.Lun : _ethernet!.Lun) ?? 0;

    /// <summary>The URL as given (credentials included: for logs use <see cref="DisplayName"/>).</summary>
    public override string ToString() => _iscsi is not null ? _iscsi.ToString() : _ethernet!.ToString();

    /// <summary>The peer as logs and <c>ip show</c> name it.</summary>
    public string DisplayName => Address is null ? ToString() : $"{Address} ({this})";

    /// <summary>Session options for the peer's URL, on the transport its scheme names.</summary>
    public IscsiSessionOptions NewSessionOptions() => _iscsi is not null
        ? IscsiSessionOptions.FromUrl(_iscsi, CliTransports.Tcp)
        : new IscsiSessionOptions
        {
            Portal = _ethernet!.Portal,
            Connector = CliTransports.Ethernet,
            TargetName = _ethernet.TargetName,
            ChapUser = _ethernet.User,
            ChapSecret = _ethernet.Password,
        };

    /// <summary>
    /// <c>10.99.0.2=iscsi://HOST[:PORT][/IQN[/LUN]]</c> or <c>10.99.0.2=eth://IFACE/MAC[/IQN[/LUN]]</c>; no IQN:
    /// SendTargets picks the portal's first target; no LUN: 0. The URL alone: the address is found by a neighbour
    /// query when a datagram first needs it. An Ethernet peer names its MAC: the peer may not be up yet to answer
    /// discovery on the segment.
    /// </summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out IpPeerSpec? spec, [NotNullWhen(false)] out string? error)
    {
        spec = null;
        IPAddress? ip = null;
        string url = text;
        if (!IsUrl(text))
        {
            int equals = text.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                error = $"--peer '{text}': expected IP=URL or URL, e.g. {Example}";
                return false;
            }
            string address = text[..equals];
            if (!IPAddress.TryParse(address, out ip) || ip.AddressFamily != AddressFamily.InterNetwork || address.Count(c => c == '.') != 3)
            {
                error = $"--peer '{text}': '{address}' is not an IPv4 address (RFC 2143 carries IPv4)";
                return false;
            }
            url = text[(equals + 1)..];
        }

        if (EthernetUrl.IsEthernetUrl(url))
        {
            if (!EthernetUrl.TryParse(url, out EthernetUrl? ethernet, out string? ethernetError))
            {
                error = $"--peer '{text}': {ethernetError}";
                return false;
            }
            if (ethernet.Portal.Peer is null)
            {
                error = $"--peer '{text}': an Ethernet peer names the MAC of its interface: eth://IFACE/MAC[/IQN[/LUN]]";
                return false;
            }
            spec = new IpPeerSpec(ip, null, ethernet);
            error = null;
            return true;
        }

        if (!IscsiUrl.TryParse(url, out IscsiUrl? iscsi, out string? urlError))
        {
            error = $"--peer '{text}': {urlError}";
            return false;
        }
        spec = new IpPeerSpec(ip, iscsi, null);
        error = null;
        return true;
    }

    private static bool IsUrl(string text) =>
        text.StartsWith("iscsi://", StringComparison.OrdinalIgnoreCase) || EthernetUrl.IsEthernetUrl(text);
}
