using System.Net;
using System.Net.Sockets;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Parsing;
using NetScsi.Transport;
using NetScsi.Transport.Tcp;

namespace NetScsi.Cli.Hosting;

/// <summary>Turns a bind failure into "cannot listen on 127.0.0.1:3260: address already in use".</summary>
internal static class ListenErrors
{
    public static CliException Describe(SocketException e, IReadOnlyList<Portal> portals)
    {
        // The exception does not say which portal failed; find it by trying each one again (the server
        // has released whatever it bound). If none fails now, name them all.
        var culprit = portals.FirstOrDefault(p => !CanBind(p));
        var where = culprit is not null ? PortalParser.Format(culprit) : string.Join(", ", portals.Select(p => PortalParser.Format(p)));
        var reason = e.SocketErrorCode switch
        {
            SocketError.AddressAlreadyInUse => "address already in use",
            SocketError.AddressNotAvailable => "address not available on this host",
            SocketError.AccessDenied => "permission denied (ports below 1024 need privileges)",
            _ => e.Message,
        };
        return CliException.Runtime($"cannot listen on {where}: {reason}", e);
    }

    private static bool CanBind(Portal portal)
    {
        if (portal is not TcpPortal { EndPoint: IPEndPoint endPoint })
        {
            return true;
        }

        try
        {
            using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endPoint);
            socket.Listen(1);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
