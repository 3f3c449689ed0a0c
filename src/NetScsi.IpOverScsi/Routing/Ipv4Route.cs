namespace NetScsi.IpOverScsi.Routing;

/// <summary>One IPv4 route of the kernel's main table through our interface: destination/mask (host byte order) and its gateway (0: on-link).</summary>
/// <param name="Destination">Network, host byte order.</param>
/// <param name="Mask">Netmask, host byte order.</param>
/// <param name="Gateway">Next hop, host byte order; 0 for an on-link route.</param>
/// <param name="Metric">Lower wins among routes of the same prefix length.</param>
public readonly record struct Ipv4Route(uint Destination, uint Mask, uint Gateway, int Metric)
{
    /// <summary>Whether <paramref name="address"/> (host byte order) is inside this route's prefix.</summary>
    public bool Covers(uint address) => (address & Mask) == (Destination & Mask);
}
