using System.Diagnostics.CodeAnalysis;

namespace NetScsi.Transport.Ethernet;

/// <summary>
/// iSCSI over raw Ethernet (HyperSCSI's idea, not its wire format): each connection is a reliable byte stream of
/// NetScsi frames on EtherType 0x88B5 between two stations of one segment, under the ordinary stream movers. One
/// endpoint (packet socket and poller thread) per interface, shared by the listener and every connection on it.
/// Portals: <c>eth:IFACE</c> to listen, <c>eth:IFACE/MAC</c> to connect.
/// </summary>
public sealed class EthernetTransport : IDataMoverTransport, IDisposable
{
    /// <summary>The transport's name in <see cref="Portal.Transport"/> and the prefix of its portals.</summary>
    public const string TransportName = "eth";

    private readonly EthernetTransportOptions _options;
    private readonly Func<string, IFrameLink> _openLink;
    private readonly Dictionary<string, EthernetEndpoint> _endpoints = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private bool _disposed;

    public EthernetTransport(EthernetTransportOptions? options = null)
        : this(null, options)
    {
    }

    /// <summary>A transport over links other than packet sockets (a simulated segment in tests).</summary>
    internal EthernetTransport(Func<string, IFrameLink>? openLink, EthernetTransportOptions? options = null)
    {
        _options = options ?? new EthernetTransportOptions();
        _openLink = openLink ?? (name => PacketSocketLink.Open(name, _options.BatchFrames));
    }

    public string Name => TransportName;

    public bool TryParsePortal(string text, int defaultPort, [NotNullWhen(true)] out Portal? portal, [NotNullWhen(false)] out string? error)
    {
        bool parsed = EthernetPortal.TryParse(text, out EthernetPortal? ethernet, out error);
        portal = ethernet;
        return parsed;
    }

    /// <exception cref="ArgumentException">Not an Ethernet portal, or one with a peer MAC.</exception>
    /// <exception cref="EthernetLinkException">No such interface, or no permission (root or CAP_NET_RAW).</exception>
    /// <exception cref="IOException">Something in this process already listens on the interface.</exception>
    public ValueTask<IDataMoverListener> ListenAsync(Portal portal, CancellationToken cancellationToken = default)
    {
        EthernetPortal ethernet = AsEthernet(portal);
        if (ethernet.Peer is not null)
        {
            throw new ArgumentException($"A listener's portal is an interface alone ({TransportName}:{ethernet.Interface}), not {ethernet}.", nameof(portal));
        }

        return ValueTask.FromResult<IDataMoverListener>(new EthernetListener(GetEndpoint(ethernet.Interface), _options.CloseTimeout));
    }

    /// <exception cref="ArgumentException">Not an Ethernet portal, or one without the target's MAC.</exception>
    /// <exception cref="EthernetLinkException">No such interface, or no permission.</exception>
    /// <exception cref="IOException">No answer from the MAC, or it refused (nothing listens there).</exception>
    public async ValueTask<IInitiatorDataMover> ConnectAsync(Portal portal, CancellationToken cancellationToken = default)
    {
        EthernetPortal ethernet = AsEthernet(portal);
        if (ethernet.Peer is not { } peer)
        {
            throw new ArgumentException($"Connecting needs the target's MAC address: {TransportName}:{ethernet.Interface}/MAC.", nameof(portal));
        }

        EthernetConnection connection = await GetEndpoint(ethernet.Interface).ConnectAsync(peer, cancellationToken).ConfigureAwait(false);
        return new EthernetInitiatorDataMover(connection, _options.CloseTimeout);
    }

    /// <summary>
    /// Discovery on the segment: the portals (<paramref name="interfaceName"/> and a MAC) of the stations that answer a
    /// broadcast query within <paramref name="wait"/> because something listens on them. SendTargets over a connection
    /// to each then lists its targets.
    /// </summary>
    /// <exception cref="EthernetLinkException">No such interface, or no permission.</exception>
    public async Task<IReadOnlyList<EthernetPortal>> DiscoverAsync(string interfaceName, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<MacAddress> found = await GetEndpoint(interfaceName).DiscoverAsync(wait, cancellationToken).ConfigureAwait(false);
        var portals = new List<EthernetPortal>(found.Count);
        foreach (MacAddress mac in found)
        {
            portals.Add(new EthernetPortal(interfaceName, mac));
        }

        return portals;
    }

    /// <summary>The endpoint on <paramref name="interfaceName"/>, opened on first use.</summary>
    internal EthernetEndpoint GetEndpoint(string interfaceName)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_endpoints.TryGetValue(interfaceName, out EthernetEndpoint? endpoint))
            {
                endpoint = new EthernetEndpoint(_openLink(interfaceName), _options);
                _endpoints.Add(interfaceName, endpoint);
            }

            return endpoint;
        }
    }

    /// <summary>Stops every endpoint: their connections reset, their packet sockets close.</summary>
    public void Dispose()
    {
        EthernetEndpoint[] endpoints;
        lock (_lock)
        {
            _disposed = true;
            endpoints = [.. _endpoints.Values];
            _endpoints.Clear();
        }

        foreach (EthernetEndpoint endpoint in endpoints)
        {
            endpoint.Dispose();
        }
    }

    private static EthernetPortal AsEthernet(Portal portal) =>
        portal as EthernetPortal ?? throw new ArgumentException($"{portal} is not an Ethernet portal.", nameof(portal));
}
