using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace NetScsi.Transport.Tcp;

/// <summary>
/// One non-blocking recv(2) or send(2) on a socket, straight through libc. Cheaper than the runtime's
/// asynchronous socket calls when the kernel can answer at once, which on a busy connection is most of the
/// time; the caller falls back to those to wait. Only when <see cref="SocketInterop.IsSupported"/>.
/// </summary>
internal static class NonBlockingSocket
{
    /// <summary>What <see cref="TryReceive"/> and <see cref="TrySend"/> return when the call would have to wait.</summary>
    public const int WouldBlock = -1;

    /// <summary>Bytes received (0: the peer closed its side), or <see cref="WouldBlock"/>.</summary>
    public static unsafe int TryReceive(Socket socket, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return Call(socket, &SocketInterop.Recv, "recv", p, buffer.Length, SocketInterop.MSG_DONTWAIT);
        }
    }

    /// <summary>
    /// Non-blocking receives until one finds data or <paramref name="ticks"/> (<see cref="Stopwatch"/> ticks) are up.
    /// Between two, the thread yields: if the peer's thread is waiting for this very CPU (a peer on the same host),
    /// it runs and sends sooner. Bytes received (0: the peer closed its side), or <see cref="WouldBlock"/>.
    /// </summary>
    public static int Poll(Socket socket, Span<byte> buffer, long ticks)
    {
        long deadline = Stopwatch.GetTimestamp() + ticks;
        int n;
        do
        {
            Thread.Yield();
            n = TryReceive(socket, buffer);
        }
        while (n == WouldBlock && Stopwatch.GetTimestamp() < deadline);

        return n;
    }

    /// <summary>A poll's duration in <see cref="Stopwatch"/> ticks; 0 for none.</summary>
    public static long PollTicks(TimeSpan duration) =>
        duration <= TimeSpan.Zero ? 0 : (long)(duration.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Bytes the kernel took, or <see cref="WouldBlock"/> when the send buffer is full.</summary>
    /// <param name="more">MSG_MORE: more data follows at once, so the kernel may hold this for the same segment.</param>
    public static unsafe int TrySend(Socket socket, ReadOnlySpan<byte> data, bool more = false)
    {
        int flags = SocketInterop.MSG_DONTWAIT | SocketInterop.MSG_NOSIGNAL | (more ? SocketInterop.MSG_MORE : 0);
        fixed (byte* p = data)
        {
            return Call(socket, &SocketInterop.Send, "send", p, data.Length, flags);
        }
    }

    /// <summary>recv(2) or send(2) on the socket's descriptor, held open for the call, retried on EINTR.</summary>
    private static unsafe int Call(Socket socket, delegate*<int, byte*, nuint, int, nint> call, string name, byte* buffer, int length, int flags)
    {
        SafeSocketHandle handle = socket.SafeHandle;
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            while (true)
            {
                nint n = call((int)handle.DangerousGetHandle(), buffer, (nuint)length, flags);
                if (n >= 0)
                {
                    return (int)n;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == SocketInterop.EAGAIN)
                {
                    return WouldBlock;
                }
                if (errno != SocketInterop.EINTR)
                {
                    throw ErrnoException(name, errno);
                }
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    public static IOException ErrnoException(string call, int errno) =>
        new($"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
}
