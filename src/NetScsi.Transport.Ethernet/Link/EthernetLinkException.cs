namespace NetScsi.Transport.Ethernet;

/// <summary>An Ethernet link that cannot be opened or used: no such interface, no permission, interface down.</summary>
public sealed class EthernetLinkException : IOException
{
    public EthernetLinkException(string message, int errno = 0)
        : base(message)
    {
        Errno = errno;
    }

    /// <summary>The system's error number, when a call failed (0 otherwise).</summary>
    public int Errno { get; }

    /// <summary>True when the failure is a missing privilege (root or CAP_NET_RAW).</summary>
    public bool IsPermissionDenied => Errno is PacketInterop.EPERM or PacketInterop.EACCES;
}
