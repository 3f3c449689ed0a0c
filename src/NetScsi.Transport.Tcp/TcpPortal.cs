using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace NetScsi.Transport.Tcp;

/// <summary>
/// A TCP portal: a host (IP literal or DNS name) and port. Text form <c>HOST[:PORT]</c>, IPv6 literals in brackets
/// (RFC 3986), as RFC 7143 §13.8 TargetAddress and libiscsi's URLs write it.
/// </summary>
/// <param name="Host">IP literal (IPv6 without brackets) or DNS name.</param>
/// <param name="Port">TCP port.</param>
public sealed record TcpPortal(string Host, int Port) : Portal
{
    /// <summary>The IANA port for iSCSI (RFC 7143 §13.8).</summary>
    public const int DefaultPort = 3260;

    public TcpPortal(IPEndPoint endPoint)
        : this(Unmapped(endPoint.Address).ToString(), endPoint.Port)
    {
    }

    public override string Transport => TcpTransport.TransportName;

    /// <summary>The host as an IP address, when it is a literal.</summary>
    public IPAddress? Address => IPAddress.TryParse(Host, out IPAddress? address) ? address : null;

    /// <summary>An <see cref="IPEndPoint"/> for IP literals, else a <see cref="DnsEndPoint"/>.</summary>
    public EndPoint EndPoint => Address is { } address ? new IPEndPoint(address, Port) : new DnsEndPoint(Host, Port);

    public override string ToString() => Format(Host, Port);

    /// <summary><c>host:port</c>, with brackets around an IPv6 literal (a scope id is dropped: it means nothing elsewhere).</summary>
    public static string Format(string host, int port)
    {
        if (IPAddress.TryParse(host, out IPAddress? address) && address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            host = "[" + new IPAddress(address.GetAddressBytes()) + "]";
        }

        return string.Create(CultureInfo.InvariantCulture, $"{host}:{port}");
    }

    /// <summary>Parses <c>HOST[:PORT]</c> (<c>[IPV6][:PORT]</c>); the port defaults to <paramref name="defaultPort"/>.</summary>
    public static bool TryParse(string? text, int defaultPort, [NotNullWhen(true)] out TcpPortal? portal, [NotNullWhen(false)] out string? error)
    {
        portal = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "the portal is empty (expected HOST[:PORT])";
            return false;
        }

        string host;
        string? port = null;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"'{text}' has no closing ']' after the IPv6 address";
                return false;
            }

            host = text[1..close];
            string rest = text[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    error = $"'{text}' has '{rest}' after the IPv6 address (expected :PORT)";
                    return false;
                }

                port = rest[1..];
            }

            if (!IPAddress.TryParse(host, out IPAddress? v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = $"'{host}' is not an IPv6 address";
                return false;
            }
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon >= 0 && text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                error = $"'{text}' looks like an IPv6 address: put it in brackets ([ADDRESS]:PORT)";
                return false;
            }

            host = colon < 0 ? text : text[..colon];
            port = colon < 0 ? null : text[(colon + 1)..];
            if (host.Length == 0)
            {
                error = $"'{text}' has no host before the port";
                return false;
            }
        }

        int number = defaultPort;
        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out number) || number is < 1 or > 65535))
        {
            error = $"'{port}' is not a TCP port (1 to 65535)";
            return false;
        }

        portal = new TcpPortal(host, number);
        error = null;
        return true;
    }

    /// <summary>
    /// SendTargets' TargetAddress (RFC 7143 §13.8, without the tag) for a listener bound to <paramref name="listening"/>,
    /// told to an initiator whose connection reached <paramref name="reached"/>: a wildcard becomes that address (an IPv4
    /// wildcard only for IPv4: it cannot have accepted another family; a dual-stack one for either). Null when there is
    /// nothing to report.
    /// </summary>
    public static string? FormatTargetAddress(IPEndPoint listening, IPAddress? reached)
    {
        IPAddress address = Unmapped(listening.Address);
        bool ipv4Wildcard = address.Equals(IPAddress.Any);
        if (ipv4Wildcard || address.Equals(IPAddress.IPv6Any))
        {
            IPAddress? local = reached is null ? null : Unmapped(reached);
            if (local is null || (ipv4Wildcard && local.AddressFamily != AddressFamily.InterNetwork))
            {
                return null;
            }

            address = local;
        }

        return Format(address.ToString(), listening.Port);
    }

    internal static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
