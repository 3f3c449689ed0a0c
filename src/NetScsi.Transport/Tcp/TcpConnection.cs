using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace NetScsi.Transport.Tcp;

/// <summary>TCP stream mover: a connected socket behind a pipe pair.</summary>
public sealed class TcpConnection : IDataMoverConnection
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly DuplexPipe _pipe;

    internal TcpConnection(Socket socket)
    {
        _socket = socket;
        _socket.NoDelay = true;
        // Finds peers that vanished while the connection was idle (no iSCSI traffic to time out).
        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        _socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 30);
        _socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 10);
        _socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
        _stream = new NetworkStream(socket, ownsSocket: true);
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        // Pause thresholds keep a fast peer from growing our buffers without bound.
        var reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 256 * 1024, minimumReadSize: 64 * 1024, leaveOpen: true));
        var writer = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true));
        _pipe = new DuplexPipe(reader, writer);
    }

    public IDuplexPipe Transport => _pipe;

    public EndPoint? LocalEndPoint { get; }

    public EndPoint? RemoteEndPoint { get; }

    public string Kind => "tcp";

    public void Abort()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        _socket.Close(0);
    }

    /// <summary>Orderly close: whatever was written goes out, then FIN (not RST, unlike <see cref="Abort"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        await _pipe.Input.CompleteAsync().ConfigureAwait(false);
        try
        {
            await _pipe.Output.CompleteAsync().ConfigureAwait(false);
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
        }
        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
