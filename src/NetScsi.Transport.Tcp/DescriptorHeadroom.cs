using System.Net.Sockets;

namespace NetScsi.Transport.Tcp;

/// <summary>
/// Keeps file descriptors in reserve for the process itself. Accepting until accept(2) fails with EMFILE leaves the
/// runtime none for what it opens on its own, and the process then aborts ("Out of memory.", SIGABRT: seen with the
/// limit lowered to 400 and 1500). A connection whose descriptor lands in the reserve is closed at once and the
/// listener reports the shortage like EMFILE, so the accept loop backs off while established sessions go on.
/// </summary>
/// <remarks>
/// The check is cheap: Linux hands out the lowest free descriptor, so an accepted descriptor numbered N means at
/// least N are open. The soft limit is read on every accept (getrlimit), so a limit lowered while running counts.
/// </remarks>
internal static class DescriptorHeadroom
{
    /// <summary>The reserve is an eighth of the limit, at least this many.</summary>
    internal const int MinimumReserve = 64;

    /// <summary>Whether <paramref name="socket"/>'s descriptor lies in the reserve of the current soft limit.</summary>
    public static bool IsInReserve(Socket socket)
    {
        if (!SocketInterop.IsSupported || SocketInterop.GetRLimit(SocketInterop.RLIMIT_NOFILE, out var limit) != 0)
        {
            return false;
        }
        long descriptor = socket.SafeHandle.DangerousGetHandle();
        return IsInReserve(descriptor, limit.Current);
    }

    /// <summary>Whether a descriptor numbered <paramref name="descriptor"/> lies in the reserve of <paramref name="softLimit"/>.</summary>
    internal static bool IsInReserve(long descriptor, ulong softLimit)
    {
        if (softLimit > int.MaxValue)
        {
            return false; // unlimited, or beyond any descriptor number we can be given
        }
        long reserve = Math.Max(MinimumReserve, (long)softLimit / 8);
        return descriptor >= (long)softLimit - reserve;
    }
}
