using System.Net;
using System.Net.Sockets;

namespace NetScsi.Transport.Tcp;

/// <summary>Listens on one TCP portal (IPv4 or IPv6).</summary>
public sealed class TcpDataMoverListener : IDataMoverListener
{
    private readonly Socket _socket;

    private TcpDataMoverListener(Socket socket)
    {
        _socket = socket;
        EndPoint = socket.LocalEndPoint!;
    }

    public EndPoint EndPoint { get; }

    public static TcpDataMoverListener Bind(IPEndPoint endPoint, int backlog = 128)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = endPoint.Address.Equals(IPAddress.IPv6Any);
            }
            socket.Bind(endPoint);
            socket.Listen(backlog);
            return new TcpDataMoverListener(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask<IDataMoverConnection?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            try
            {
                var accepted = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    return new TcpConnection(accepted);
                }
                catch
                {
                    // Out of descriptors or memory while setting the connection up: do not leak the socket.
                    accepted.Dispose();
                    throw;
                }
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
            {
                return null;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                // A peer that gave up between SYN and accept: keep listening.
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
