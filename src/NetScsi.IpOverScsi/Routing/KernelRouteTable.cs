using System.Buffers.Binary;
using System.Globalization;

namespace NetScsi.IpOverScsi.Routing;

/// <summary>
/// The kernel's IPv4 main routing table as <c>/proc/net/route</c> shows it to this process's network namespace,
/// filtered to one interface. A TUN interface carries no link-layer next hop: the kernel hands over a datagram
/// routed "via G dev scsi0" with only its final destination, so the link finds G again here. Policy routing and
/// other tables are not seen (a departure documented in docs/ip-over-scsi.md).
/// </summary>
public static class KernelRouteTable
{
    private const string RoutePath = "/proc/net/route";

    /// <summary>The routes through <paramref name="interfaceName"/>; empty when the table cannot be read.</summary>
    public static IReadOnlyList<Ipv4Route> Read(string interfaceName)
    {
        string text;
        try
        {
            text = File.ReadAllText(RoutePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
        return Parse(text, interfaceName);
    }

    /// <summary>
    /// Parses the text of <c>/proc/net/route</c>: a header line, then per route Iface, Destination, Gateway, Flags,
    /// RefCnt, Use, Metric, Mask, ...; addresses are the in_addr's bytes printed as a native-endian 32-bit hex number.
    /// </summary>
    public static IReadOnlyList<Ipv4Route> Parse(string text, string interfaceName)
    {
        var routes = new List<Ipv4Route>();
        bool header = true;
        foreach (string line in text.Split('\n'))
        {
            if (header)
            {
                header = false;
                continue;
            }
            string[] fields = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 8 || fields[0] != interfaceName)
            {
                continue;
            }
            if (!TryParseAddress(fields[1], out uint destination)
                || !TryParseAddress(fields[2], out uint gateway)
                || !TryParseAddress(fields[7], out uint mask)
                || !int.TryParse(fields[6], NumberStyles.Integer, CultureInfo.InvariantCulture, out int metric))
            {
                continue;
            }
            routes.Add(new Ipv4Route(destination, mask, gateway, metric));
        }
        return routes;
    }

    /// <summary>The most specific route (then the lowest metric) covering <paramref name="address"/>, if any.</summary>
    public static Ipv4Route? Lookup(IReadOnlyList<Ipv4Route> routes, uint address)
    {
        Ipv4Route? best = null;
        foreach (Ipv4Route route in routes)
        {
            if (!route.Covers(address))
            {
                continue;
            }
            if (best is not Ipv4Route current
                || route.Mask > current.Mask
                || (route.Mask == current.Mask && route.Metric < current.Metric))
            {
                best = route;
            }
        }
        return best;
    }

    private static bool TryParseAddress(string hex, out uint hostOrder)
    {
        hostOrder = 0;
        if (!uint.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint native))
        {
            return false;
        }
        // The number is the in_addr read as a native integer: its bytes in memory are the address in network order.
        Span<byte> bytes = stackalloc byte[4];
        if (BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, native);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, native);
        }
        hostOrder = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        return true;
    }
}
