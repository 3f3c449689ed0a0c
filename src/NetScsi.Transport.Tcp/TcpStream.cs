using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace NetScsi.Transport.Tcp;

/// <summary>
/// A connected TCP socket behind a pipe pair: the byte stream under the TCP movers. What it can do beyond a pipe is
/// theirs alone: data from files goes out with sendfile(2) on Linux, without passing through user memory
/// (<see cref="SendFileAsync"/>), and large incoming data can be received straight into its destination
/// (<see cref="ReceiveDirectAsync"/>). An initiator's input pipe reads the socket itself (<see cref="SocketPipeReader"/>),
/// so its reads can also poll (<see cref="PollNextRead"/>).
/// </summary>
internal sealed class TcpStream : IAsyncDisposable
{
    /// <summary>When the send buffer is full, this much file data goes the ordinary way (which waits for room).</summary>
    private const int FallbackChunk = 16 * 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    /// <summary>The input pipe when it reads the socket itself (initiator side), else null.</summary>
    private readonly SocketPipeReader? _socketReader;

    /// <summary>How long the next direct receive polls before it waits (<see cref="Stopwatch"/> ticks).</summary>
    private long _directPollTicks;

    private readonly DuplexPipe _pipe;

    /// <summary>Set once the socket is known to be non-blocking (see <see cref="EnsureNonBlocking"/>).</summary>
    private bool _nonBlocking;

    /// <summary>Receive buffer of a target-side connection: large reads batch many small PDUs and bring in Data-Out in bulk.</summary>
    internal const int DefaultReceiveBufferSize = 256 * 1024;

    /// <param name="socket">The connected socket; the connection owns it.</param>
    /// <param name="receiveBufferSize">
    /// How much one read of the socket into the input pipe may take. Smaller reads leave the bulk of a large
    /// PDU in the socket, where <see cref="ReceiveDirectAsync"/> can place it without a copy.
    /// </param>
    /// <param name="socketReader">
    /// The input pipe reads the socket itself (<see cref="SocketPipeReader"/>): one system call per read that
    /// finds data, reads the consumer can limit (<see cref="LimitNextPipeRead"/>) or have poll
    /// (<see cref="PollNextRead"/>). For an initiator, whose large Data-In goes around the pipe. Otherwise a
    /// <see cref="StreamPipeReader"/>, whose chained segments take a target's large Data-Out without moving it.
    /// </param>
    internal TcpStream(Socket socket, int receiveBufferSize = DefaultReceiveBufferSize, bool socketReader = false)
    {
        _socket = socket;
        _socket.NoDelay = true;
        // Finds peers that vanished while the connection was idle (no iSCSI traffic to time out).
        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        _socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 30);
        _socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 10);
        _socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
        _stream = new NetworkStream(socket, ownsSocket: true);
        LocalEndPoint = socket.LocalEndPoint as IPEndPoint;
        var remote = socket.RemoteEndPoint as IPEndPoint;
        PeerAddress = remote is null ? "?" : TcpPortal.Unmapped(remote.Address).ToString();
        RemoteName = remote is null ? "?" : TcpPortal.Format(PeerAddress, remote.Port);
        PipeReader reader;
        if (socketReader)
        {
            _socketReader = new SocketPipeReader(socket, receiveBufferSize);
            reader = _socketReader;
        }
        else
        {
            reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: receiveBufferSize, minimumReadSize: Math.Min(64 * 1024, receiveBufferSize / 4), leaveOpen: true));
        }

        var writer = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true));
        _pipe = new DuplexPipe(reader, writer);
    }

    public IDuplexPipe Pipe => _pipe;

    /// <summary>
    /// Makes the input pipe's next read of the socket take at most <paramref name="length"/> bytes (reads after it
    /// take what they can again): a consumer that expects the next PDU to be another large one whose data it will
    /// receive directly asks for just its header, so none of that data has to be copied out of the pipe. Only a
    /// stream whose input pipe reads the socket itself can; on others (a target's) it does nothing.
    /// </summary>
    public void LimitNextPipeRead(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        _socketReader?.LimitNextRead(length);
    }

    /// <summary>
    /// Makes the input pipe's next read, when nothing has arrived yet, keep checking the socket for up to
    /// <paramref name="duration"/> before it waits to be woken. Only a stream whose input pipe reads the socket itself
    /// can; on others (a target's) it does nothing.
    /// </summary>
    public void PollNextRead(TimeSpan duration) => _socketReader?.PollNextRead(duration);

    /// <summary>
    /// Makes the next <see cref="ReceiveDirectAsync"/>, when nothing has arrived yet, keep checking the socket for up to
    /// <paramref name="duration"/> before it waits: for the rest of a PDU whose start has come.
    /// </summary>
    public void PollNextDirectReceive(TimeSpan duration) => _directPollTicks = NonBlockingSocket.PollTicks(duration);

    /// <summary>Our end of the connection: the address the peer reached (SendTargets reports it for wildcard portals).</summary>
    internal IPEndPoint? LocalEndPoint { get; }

    public string PeerAddress { get; }

    public string RemoteName { get; }

    /// <summary>
    /// Receives the next bytes of the stream into <paramref name="buffer"/>; 0 when the peer has closed it. Only when
    /// the consumer has consumed everything the input pipe holds and has no read pending on it: the pipe reader reads
    /// the socket only when asked, so once it is drained the socket's next bytes are ours.
    /// </summary>
    public ValueTask<int> ReceiveDirectAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        long pollTicks = _directPollTicks;
        _directPollTicks = 0;
        if (pollTicks > 0 && SocketInterop.IsSupported)
        {
            int n = NonBlockingSocket.TryReceive(_socket, buffer.Span);
            if (n == NonBlockingSocket.WouldBlock)
            {
                n = NonBlockingSocket.Poll(_socket, buffer.Span, pollTicks);
            }

            if (n != NonBlockingSocket.WouldBlock)
            {
                return new ValueTask<int>(n);
            }
        }

        ValueTask<int> receive = _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
        return receive.IsCompletedSuccessfully ? receive : AwaitReceiveAsync(receive);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<int> AwaitReceiveAsync(ValueTask<int> receive)
    {
        try
        {
            return await receive.ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            // Like NetworkStream: callers of a stream mover handle IOException.
            throw new IOException(e.Message, e);
        }
    }

    /// <summary>
    /// Sends <paramref name="header"/> and then <paramref name="length"/> bytes of <paramref name="file"/> starting at
    /// <paramref name="offset"/>. The caller owns the send side for the whole call: everything it wrote to the output
    /// pipe is flushed, and nothing else sends until this completes.
    /// </summary>
    /// <exception cref="IOException">The connection failed, or the file could not be read (the connection is then unusable).</exception>
    /// <remarks>
    /// The header goes out with MSG_MORE so the kernel puts it in the same segment as the file data that
    /// follows. Both calls are non-blocking; when the socket's send buffer is full, the next chunk is read
    /// and sent through the socket's asynchronous send, which waits for room, and sendfile resumes after it.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendFileAsync(ReadOnlyMemory<byte> header, SafeFileHandle file, long offset, int length, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        int sent = SocketInterop.IsSupported && !header.IsEmpty ? Math.Max(0, NonBlockingSocket.TrySend(_socket, header.Span, more: length > 0)) : 0;
        if (sent < header.Length)
        {
            await SendAllAsync(header[sent..], cancellationToken).ConfigureAwait(false);
        }
        while (length > 0)
        {
            int moved = TrySendFileNow(file, offset, length);
            if (moved == 0)
            {
                moved = Math.Min(length, FallbackChunk);
                await SendFileChunkAsync(file, offset, moved, cancellationToken).ConfigureAwait(false);
            }
            offset += moved;
            length -= moved;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendFileChunkAsync(SafeFileHandle file, long offset, int length, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            int read = RandomAccess.Read(file, buffer.AsSpan(0, length), offset);
            if (read < length)
            {
                throw new IOException($"The file ended at byte {offset + read}, inside the {length}-byte range to send.");
            }
            await SendAllAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            int n;
            try
            {
                n = await _socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new IOException(e.Message, e);
            }
            data = data[n..];
        }
    }

    /// <summary>One non-blocking sendfile(2); returns the bytes the kernel took (0 when the send buffer is full).</summary>
    private int TrySendFileNow(SafeFileHandle file, long offset, int length)
    {
        if (!SocketInterop.IsSupported)
        {
            return 0;
        }
        SafeSocketHandle socket = _socket.SafeHandle;
        bool socketAdded = false;
        bool fileAdded = false;
        try
        {
            socket.DangerousAddRef(ref socketAdded);
            file.DangerousAddRef(ref fileAdded);
            int fd = (int)socket.DangerousGetHandle();
            EnsureNonBlocking(fd);
            while (true)
            {
                long position = offset;
                nint n = SocketInterop.SendFile(fd, (int)file.DangerousGetHandle(), ref position, (nuint)length);
                if (n > 0)
                {
                    return (int)n;
                }
                if (n == 0)
                {
                    throw new IOException($"The file ended at byte {offset}, inside the {length}-byte range to send.");
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == SocketInterop.EAGAIN)
                {
                    return 0;
                }
                if (errno != SocketInterop.EINTR)
                {
                    throw NonBlockingSocket.ErrnoException("sendfile", errno);
                }
            }
        }
        finally
        {
            if (fileAdded)
            {
                file.DangerousRelease();
            }
            if (socketAdded)
            {
                socket.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// sendfile has no MSG_DONTWAIT: the socket itself must be non-blocking. .NET makes it so at its first
    /// asynchronous operation (the receive side always has one pending); this covers a connection that has not.
    /// </summary>
    private void EnsureNonBlocking(int fd)
    {
        if (_nonBlocking)
        {
            return;
        }
        int flags = SocketInterop.Fcntl(fd, SocketInterop.F_GETFL, 0);
        if (flags >= 0 && (flags & SocketInterop.O_NONBLOCK) == 0)
        {
            flags = SocketInterop.Fcntl(fd, SocketInterop.F_SETFL, flags | SocketInterop.O_NONBLOCK);
        }
        if (flags < 0)
        {
            throw NonBlockingSocket.ErrnoException("fcntl", Marshal.GetLastPInvokeError());
        }
        _nonBlocking = true;
    }

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
