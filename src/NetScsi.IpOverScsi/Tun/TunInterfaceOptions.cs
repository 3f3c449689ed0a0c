using System.Net;

namespace NetScsi.IpOverScsi.Tun;

/// <summary>What a <see cref="TunInterface"/> is created with.</summary>
public sealed class TunInterfaceOptions
{
    /// <summary>Smallest IPv4 MTU (RFC 791: every host takes 68-byte datagrams).</summary>
    public const int MinMtu = 68;

    /// <summary>Largest MTU: RFC 2143 §3, the reach of SEND MESSAGE(10)'s 16-bit transfer length and of IPv4's total length.</summary>
    public const int MaxMtu = ushort.MaxValue;

    /// <summary>The interface name, at most 15 bytes; a <c>%d</c> in it lets the kernel number it (<c>scsi%d</c>: scsi0, scsi1, ...).</summary>
    public string Name { get; set; } = "scsi%d";

    /// <summary>The interface MTU, <see cref="MinMtu"/> to <see cref="MaxMtu"/>.</summary>
    public int Mtu { get; set; } = MaxMtu;

    /// <summary>The interface's IPv4 address; null leaves it unaddressed (configure it with <c>ip addr</c>).</summary>
    public IPAddress? Address { get; set; }

    /// <summary>The prefix length of <see cref="Address"/> (0-32): the on-link subnet.</summary>
    public int PrefixLength { get; set; } = 24;

    /// <summary>The interface's transmit queue length in datagrams (the kernel's default for TUN is 500); null keeps it.</summary>
    public int? TransmitQueueLength { get; set; }

    /// <summary>Why these options cannot make an interface, or null.</summary>
    public string? Validate()
    {
        if (string.IsNullOrEmpty(Name) || System.Text.Encoding.UTF8.GetByteCount(Name) > TunInterop.IFNAMSIZ - 1)
        {
            return $"the interface name must be 1 to {TunInterop.IFNAMSIZ - 1} bytes";
        }
        foreach (char c in Name)
        {
            if (c is '/' or ':' || char.IsWhiteSpace(c) || c > 0x7E || c < 0x21)
            {
                return $"the interface name '{Name}' has a character Linux does not allow ('{c}')";
            }
        }
        if (Mtu is < MinMtu or > MaxMtu)
        {
            return $"the MTU must be {MinMtu} to {MaxMtu}";
        }
        if (Address is not null && Address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return "the interface address must be IPv4";
        }
        if (PrefixLength is < 0 or > 32)
        {
            return "the prefix length must be 0 to 32";
        }
        if (TransmitQueueLength is < 1)
        {
            return "the transmit queue length must be positive";
        }
        return null;
    }
}
