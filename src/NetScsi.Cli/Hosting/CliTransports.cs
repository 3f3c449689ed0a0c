using NetScsi.Transport;
using NetScsi.Transport.Ethernet;
using NetScsi.Transport.Tcp;

namespace NetScsi.Cli.Hosting;

/// <summary>The data movers the <c>netscsi</c> command composes: the engines take them from here and name none.</summary>
internal static class CliTransports
{
    /// <summary>iSCSI over TCP: <c>iscsi://</c> URLs and <c>ADDR[:PORT]</c> portals.</summary>
    public static readonly TcpTransport Tcp = new();

    /// <summary>iSCSI over raw Ethernet: <c>eth://IFACE/MAC/...</c> URLs and <c>eth:IFACE</c> portals.</summary>
    public static readonly EthernetTransport Ethernet = new();

    /// <summary>Every transport a target may listen on.</summary>
    public static IReadOnlyList<IDataMoverTransport> All { get; } = [Tcp, Ethernet];
}
