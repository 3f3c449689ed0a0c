using System.Diagnostics.CodeAnalysis;

namespace NetScsi.Transport.Ethernet;

/// <summary>
/// A raw-Ethernet portal: an interface, and for an initiator the MAC address of the target's interface on the same
/// segment. Text form <c>IFACE</c> (a target listens on it) or <c>IFACE/MAC</c> (an initiator connects through IFACE
/// to MAC); prefixed <c>eth:</c> where transports mix.
/// </summary>
/// <param name="Interface">The local interface's name (<c>eth0</c>, <c>veth1</c>).</param>
/// <param name="Peer">The peer's MAC address (initiator), or null (target).</param>
public sealed record EthernetPortal(string Interface, MacAddress? Peer = null) : Portal
{
    public override string Transport => EthernetTransport.TransportName;

    public override string ToString() => Peer is { } mac ? $"{EthernetTransport.TransportName}:{Interface}/{mac}" : $"{EthernetTransport.TransportName}:{Interface}";

    /// <summary>Parses <c>IFACE[/MAC]</c> (an <c>eth:</c> prefix is allowed).</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out EthernetPortal? portal, [NotNullWhen(false)] out string? error)
    {
        portal = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "the portal is empty (expected IFACE or IFACE/MAC)";
            return false;
        }

        string s = text.Trim();
        if (s.StartsWith(EthernetTransport.TransportName + ":", StringComparison.OrdinalIgnoreCase))
        {
            s = s[(EthernetTransport.TransportName.Length + 1)..];
        }

        string name = s;
        MacAddress? peer = null;
        int slash = s.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            name = s[..slash];
            string mac = s[(slash + 1)..];
            if (!MacAddress.TryParse(mac, out MacAddress parsed))
            {
                error = $"'{mac}' is not a MAC address (expected six hex octets, e.g. 02:00:5e:10:00:01)";
                return false;
            }

            if (parsed.IsGroup || parsed.IsZero)
            {
                error = $"'{mac}' is a group or zero address: a target's MAC is a unicast address";
                return false;
            }

            peer = parsed;
        }

        if (!IsInterfaceName(name, out error))
        {
            return false;
        }

        portal = new EthernetPortal(name, peer);
        return true;
    }

    /// <summary>Linux interface names: 1 to 15 characters, none of them '/', ':' or white space.</summary>
    public static bool IsInterfaceName(string name, [NotNullWhen(false)] out string? error)
    {
        if (name.Length is 0 or > 15)
        {
            error = $"'{name}' is not an interface name (1 to 15 characters)";
            return false;
        }

        foreach (char c in name)
        {
            if (c is '/' or ':' or '%' || char.IsWhiteSpace(c) || char.IsControl(c) || c > '~')
            {
                error = $"'{name}' is not an interface name ('{c}' is not allowed)";
                return false;
            }
        }

        error = null;
        return true;
    }
}
