namespace NetScsi.Transport;

/// <summary>
/// A network portal (RFC 7143 §3.4.1): where a data mover listens or where an initiator connects, typed by
/// transport. TCP and iSER portals are IP endpoints, a raw-Ethernet portal an interface (and a MAC to reach).
/// Each transport defines its own subclass; records give them value equality.
/// </summary>
public abstract record Portal
{
    /// <summary>The name of the transport that serves the portal ("tcp", "memory", ...); picks the mover.</summary>
    public abstract string Transport { get; }
}
