using System.Net;
using System.Net.Sockets;

namespace NetScsi.Transport.Tcp;

/// <summary>Connects to a TCP portal.</summary>
/// <remarks>
/// An initiator mostly receives Data-In: its connections read the socket 16 KiB at a time, enough to batch
/// small responses, while the rest of a large Data-In stays in the socket for direct placement
/// into the command's buffer (<see cref="TcpInitiatorDataMover"/>). Their input pipes read the socket themselves
/// (<see cref="SocketPipeReader"/>), so a read can poll for the answer to a lone command.
/// </remarks>
public sealed class TcpDataMoverConnector : IDataMoverConnector
{
    private const int ReceiveBufferSize = 16 * 1024;

    private readonly TcpTransportOptions _options;

    public TcpDataMoverConnector(TcpTransportOptions? options = null)
    {
        _options = options ?? new TcpTransportOptions();
    }

    public async ValueTask<IInitiatorDataMover> ConnectAsync(Portal portal, CancellationToken cancellationToken = default)
    {
        TcpStream stream = await ConnectStreamAsync(portal, cancellationToken).ConfigureAwait(false);
        return new TcpInitiatorDataMover(stream, _options);
    }

    /// <summary>Connects the byte stream alone: for clients that write PDUs themselves (raw-PDU benchmarks, tests).</summary>
    internal static async ValueTask<TcpStream> ConnectStreamAsync(Portal portal, CancellationToken cancellationToken = default)
    {
        EndPoint endPoint = TcpTransport.AsTcp(portal).EndPoint;
        var family = endPoint is IPEndPoint ip ? ip.AddressFamily : AddressFamily.InterNetwork;
        var socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return new TcpStream(socket, ReceiveBufferSize, socketReader: true);
        }
        catch (SocketException e)
        {
            // Transport-neutral for the engines (a refused connect is retried like any lost connection); the socket error stays inside.
            socket.Dispose();
            throw new IOException($"Cannot connect to {portal}: {e.Message}", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
