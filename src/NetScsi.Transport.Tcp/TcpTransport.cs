using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace NetScsi.Transport.Tcp;

/// <summary>iSCSI over TCP (RFC 7143): the transport libiscsi's <c>iscsi://</c> URLs name.</summary>
public sealed class TcpTransport : IDataMoverTransport
{
    /// <summary>The name of the TCP transport in <see cref="Portal.Transport"/>.</summary>
    public const string TransportName = "tcp";

    private readonly TcpDataMoverConnector _connector;

    public TcpTransport(TcpTransportOptions? options = null)
    {
        _connector = new TcpDataMoverConnector(options);
    }

    public string Name => TransportName;

    public bool TryParsePortal(string text, int defaultPort, [NotNullWhen(true)] out Portal? portal, [NotNullWhen(false)] out string? error)
    {
        bool parsed = TcpPortal.TryParse(text, defaultPort, out TcpPortal? tcp, out error);
        portal = tcp;
        return parsed;
    }

    /// <exception cref="ArgumentException">The portal is not a TCP portal with an IP literal.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The address cannot be bound (in use, not local, no permission).</exception>
    public ValueTask<IDataMoverListener> ListenAsync(Portal portal, CancellationToken cancellationToken = default)
    {
        TcpPortal tcp = AsTcp(portal);
        IPAddress address = tcp.Address ?? throw new ArgumentException($"A TCP listener needs an IP address, not '{tcp.Host}'.", nameof(portal));
        return ValueTask.FromResult<IDataMoverListener>(TcpDataMoverListener.Bind(new IPEndPoint(address, tcp.Port)));
    }

    public ValueTask<IInitiatorDataMover> ConnectAsync(Portal portal, CancellationToken cancellationToken = default) =>
        _connector.ConnectAsync(portal, cancellationToken);

    internal static TcpPortal AsTcp(Portal portal) =>
        portal as TcpPortal ?? throw new ArgumentException($"{portal} is not a TCP portal.", nameof(portal));
}
