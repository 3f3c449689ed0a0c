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
        EndPoint = (IPEndPoint)socket.LocalEndPoint!;
        Portal = new TcpPortal(EndPoint);
    }

    /// <summary>The bound address and port.</summary>
    public IPEndPoint EndPoint { get; }

    public Portal Portal { get; }

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

    public async ValueTask<ITargetDataMover?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            try
            {
                var accepted = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
                if (DescriptorHeadroom.IsInReserve(accepted))
                {
                    // Shed it: the last descriptors are the process's own (see DescriptorHeadroom).
                    accepted.Dispose();
                    throw new IOException("Too many open files: the descriptors left are kept in reserve", new SocketException((int)SocketError.TooManyOpenSockets));
                }
                try
                {
                    return new TcpTargetDataMover(new TcpStream(accepted));
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
            catch (SocketException e)
            {
                // Like NetworkStream: callers of a mover handle IOException (EMFILE, ENFILE, ENOBUFS, ...).
                throw new IOException(e.Message, e);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A wildcard portal becomes the address <paramref name="via"/> reached: an IPv4 wildcard only for an IPv4
    /// connection (it cannot have accepted another), a dual-stack one for either.
    /// </remarks>
    public string? FormatTargetAddress(IDataMoverConnection via) =>
        TcpPortal.FormatTargetAddress(EndPoint, (via as TcpTargetDataMover)?.LocalEndPoint?.Address);

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
