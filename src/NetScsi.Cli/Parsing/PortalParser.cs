using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using NetScsi.Transport;
using NetScsi.Transport.Aoe;
using NetScsi.Transport.Ethernet;
using NetScsi.Transport.Tcp;

namespace NetScsi.Cli.Parsing;

/// <summary>
/// Portals: <c>1.2.3.4:3260</c>, <c>[::1]:3260</c>, <c>0.0.0.0</c>, <c>[::]</c>, and raw Ethernet's <c>eth:IFACE</c>. The port defaults to 3260
/// (RFC 7143 §13.1, the IANA-registered iSCSI port); port 0 asks the OS for a free one (the banner
/// prints the port actually bound), which tests and scripts use. Host names are not accepted: a portal is an
/// address this host owns, and resolving names at start-up would make what we listen on depend on DNS.
/// </summary>
internal static class PortalParser
{
    public const int DefaultPort = 3260;

    public static bool TryParse(string text, [NotNullWhen(true)] out Portal? portal, [NotNullWhen(false)] out string? error)
    {
        portal = null;
        var s = text.Trim();
        if (s.StartsWith(AoePortal.TransportName + ":", StringComparison.OrdinalIgnoreCase))
        {
            // ATA over Ethernet: aoe:IFACE,shelf=S exports the LUNs as slots of shelf S (not an iSCSI portal).
            if (!AoePortal.TryParse(s, out var aoe, out var aoeError))
            {
                error = $"invalid portal '{text}': {aoeError}";
                return false;
            }

            portal = aoe;
            error = null;
            return true;
        }

        if (s.StartsWith(EthernetTransport.TransportName + ":", StringComparison.OrdinalIgnoreCase))
        {
            // Raw Ethernet: eth:IFACE, an interface to listen on (the MAC is the interface's own).
            if (!EthernetPortal.TryParse(s, out var ethernet, out var ethernetError) || ethernet.Peer is not null)
            {
                error = $"invalid portal '{text}': {ethernetError ?? "a listening Ethernet portal is eth:IFACE, without a MAC"}";
                return false;
            }

            portal = ethernet;
            error = null;
            return true;
        }

        string host;
        string? port = null;

        if (s.StartsWith('['))
        {
            int close = s.IndexOf(']');
            if (close < 0)
            {
                error = $"invalid portal '{text}': missing ']' after the IPv6 address";
                return false;
            }

            host = s[1..close];
            var after = s[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':')
                {
                    error = $"invalid portal '{text}': expected ':PORT' after ']'";
                    return false;
                }

                port = after[1..];
            }

            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = $"invalid portal '{text}': '{host}' is not an IPv6 address";
                return false;
            }
        }
        else
        {
            int colon = s.IndexOf(':');
            if (colon >= 0 && s.IndexOf(':', colon + 1) >= 0)
            {
                // Two or more colons: an IPv6 address without brackets; the port cannot be told apart.
                error = $"invalid portal '{text}': write IPv6 addresses in brackets, e.g. [{s}]:3260";
                return false;
            }

            host = colon < 0 ? s : s[..colon];
            port = colon < 0 ? null : s[(colon + 1)..];
            if (!IsDottedQuad(host) || !IPAddress.TryParse(host, out _))
            {
                error = host.Length == 0
                    ? $"invalid portal '{text}': missing address"
                    : $"invalid portal '{text}': '{host}' is not an IPv4 address (host names are not accepted)";
                return false;
            }
        }

        int portNumber = DefaultPort;
        if (port is not null
            && (port.Length == 0
                || !port.All(char.IsAsciiDigit)
                || !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out portNumber)
                || portNumber > 65535))
        {
            error = $"invalid portal '{text}': port '{port}' is not a number in 0..65535";
            return false;
        }

        portal = new TcpPortal(new IPEndPoint(IPAddress.Parse(host), portNumber));
        error = null;
        return true;
    }

    /// <summary>The form users write: <c>1.2.3.4:3260</c>, <c>[::1]:3260</c> (each transport's portal text).</summary>
    public static string Format(Portal portal) => portal.ToString();

    // IPAddress.TryParse accepts "1", "1.2" and "0x7f.1" (inet_aton forms); a portal typo like
    // "127.1:3260" should be an error, not a surprise listen on 127.0.0.1.
    private static bool IsDottedQuad(string host)
    {
        var parts = host.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is >= 1 and <= 3 && p.All(char.IsAsciiDigit));
    }
}
