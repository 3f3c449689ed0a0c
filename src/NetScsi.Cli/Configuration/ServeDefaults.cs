using System.Net;

using NetScsi.Transport;
using NetScsi.Transport.Tcp;

namespace NetScsi.Cli.Configuration;

/// <summary>What <c>netscsi target serve</c> runs with no arguments: a 1 GiB sparse file on loopback.</summary>
internal static class ServeDefaults
{
    public const string TargetIqn = "iqn.2026-11.org.netscsi:default";

    public const string LunPath = "./netscsi-data/lun0.img";

    public const long LunSizeBytes = 1L << 30;

    // Loopback, not 0.0.0.0: a target without CHAP or ACLs must not appear on the network by accident.
    public static Portal Portal => new TcpPortal(new IPEndPoint(IPAddress.Loopback, Parsing.PortalParser.DefaultPort));

    public static LunConfig Lun() => new()
    {
        Kind = LunKind.File,
        Path = LunPath,
        SizeBytes = LunSizeBytes,
        CreateDirectories = true,
        Source = "default",
    };
}
