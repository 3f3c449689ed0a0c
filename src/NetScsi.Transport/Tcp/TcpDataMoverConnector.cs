using System.Net;
using System.Net.Sockets;

namespace NetScsi.Transport.Tcp;

/// <summary>Connects to a TCP portal.</summary>
public sealed class TcpDataMoverConnector : IDataMoverConnector
{
    public async ValueTask<IDataMoverConnection> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken = default)
    {
        var family = endPoint is IPEndPoint ip ? ip.AddressFamily : AddressFamily.InterNetwork;
        var socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return new TcpConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
