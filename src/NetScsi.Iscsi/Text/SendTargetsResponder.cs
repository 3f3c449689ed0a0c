using System.Globalization;
using System.Net;
using System.Net.Sockets;
using NetScsi.Iscsi.Session;
using NetScsi.Iscsi.Target;

namespace NetScsi.Iscsi.Text;

/// <summary>
/// Builds the answer to <c>SendTargets</c> (RFC 7143 §13.3, Appendix C): for each target the initiator
/// may log into, <c>TargetName=…</c> followed by one <c>TargetAddress=ip:port,tpgt</c> per portal.
/// </summary>
public static class SendTargetsResponder
{
    /// <param name="value">The SendTargets value: "All", a target name, or empty.</param>
    /// <param name="sessionType">Discovery sessions may ask for All; normal sessions only for their own target.</param>
    /// <param name="sessionTargetName">The target of a normal session.</param>
    /// <param name="targets">All configured targets.</param>
    /// <param name="portals">Listening endpoints; a wildcard address is replaced by <paramref name="localAddress"/>.</param>
    /// <param name="localAddress">The connection's local address.</param>
    /// <param name="initiatorName">The initiator asking: it sees only targets whose ACLs admit it.</param>
    /// <param name="portalGroupTag">The TPGT of the portals.</param>
    public static TextKeyValues Build(
        string value,
        SessionType sessionType,
        string? sessionTargetName,
        IEnumerable<TargetDefinition> targets,
        IReadOnlyList<IPEndPoint> portals,
        IPAddress localAddress,
        string initiatorName,
        ushort portalGroupTag)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(portals);
        ArgumentNullException.ThrowIfNull(localAddress);
        var response = new TextKeyValues();

        bool all = value == "All";
        string? wanted;
        if (all)
        {
            // RFC 7143 §13.3: "All" is for discovery sessions; a normal session may ask only about its target.
            if (sessionType != SessionType.Discovery)
            {
                response.Add(TextKeyTable.SendTargets, TextValues.Reject);
                return response;
            }

            wanted = null;
        }
        else if (value.Length == 0)
        {
            // RFC 7143 §13.3: an empty value means the session's target (normal sessions only).
            if (sessionType != SessionType.Normal || sessionTargetName is null)
            {
                response.Add(TextKeyTable.SendTargets, TextValues.Reject);
                return response;
            }

            wanted = sessionTargetName;
        }
        else
        {
            if (sessionType == SessionType.Normal && !string.Equals(value, sessionTargetName, StringComparison.OrdinalIgnoreCase))
            {
                return response; // nothing to report about other targets from a normal session
            }

            wanted = value;
        }

        List<string> addresses = FormatPortals(portals, localAddress, portalGroupTag);
        foreach (TargetDefinition target in targets)
        {
            if (wanted is not null && !string.Equals(target.Name, wanted, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            // An initiator sees only the targets it may log into.
            if (target.Acls.Count > 0 && !target.Acls.Any(a => string.Equals(a.InitiatorName, initiatorName, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            response.Add(TextKeyTable.TargetName, target.Name);
            foreach (string address in addresses)
            {
                response.Add(TextKeyTable.TargetAddress, address);
            }
        }

        return response;
    }

    /// <summary>
    /// RFC 7143 §13.8: <c>domainname[:port][,portal-group-tag]</c>; IPv6 literals in brackets (RFC 3986).
    /// Wildcard listeners become the connection's local address; duplicates are dropped.
    /// </summary>
    public static List<string> FormatPortals(IReadOnlyList<IPEndPoint> portals, IPAddress localAddress, ushort portalGroupTag)
    {
        ArgumentNullException.ThrowIfNull(portals);
        ArgumentNullException.ThrowIfNull(localAddress);
        IPAddress local = localAddress.IsIPv4MappedToIPv6 ? localAddress.MapToIPv4() : localAddress;
        var result = new List<string>();
        foreach (IPEndPoint portal in portals)
        {
            IPAddress address = portal.Address.IsIPv4MappedToIPv6 ? portal.Address.MapToIPv4() : portal.Address;
            if (address.Equals(IPAddress.Any))
            {
                // An IPv4 wildcard cannot have accepted an IPv6 connection: no address to report for it.
                if (local.AddressFamily != AddressFamily.InterNetwork)
                {
                    continue;
                }

                address = local;
            }
            else if (address.Equals(IPAddress.IPv6Any))
            {
                address = local; // dual-stack wildcard: whatever family the connection used
            }

            string formatted = Format(address, portal.Port, portalGroupTag);
            if (!result.Contains(formatted))
            {
                result.Add(formatted);
            }
        }

        return result;
    }

    private static string Format(IPAddress address, int port, ushort tag)
    {
        string host;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // A scope id (%eth0) means nothing to another host: leave it out.
            var unscoped = new IPAddress(address.GetAddressBytes());
            host = "[" + unscoped.ToString() + "]";
        }
        else
        {
            host = address.ToString();
        }

        return string.Create(CultureInfo.InvariantCulture, $"{host}:{port},{tag}");
    }
}
