namespace NetScsi.IpOverScsi.Tun;

/// <summary>A TUN interface could not be created or configured; the message says why in one line, the errno beside it.</summary>
public sealed class TunException : Exception
{
    public TunException(string message, int errno)
        : base(message)
    {
        Errno = errno;
    }

    /// <summary>The errno of the failed call.</summary>
    public int Errno { get; }

    /// <summary>True when the process lacks CAP_NET_ADMIN (or may not open /dev/net/tun).</summary>
    public bool IsPermissionDenied => Errno is TunInterop.EPERM or TunInterop.EACCES;
}
