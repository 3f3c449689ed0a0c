using NetScsi.Transport;
using NetScsi.Transport.Tcp;

namespace NetScsi.Cli.Hosting;

/// <summary>The data movers the <c>netscsi</c> command composes: the engines take them from here and name none.</summary>
internal static class CliTransports
{
    /// <summary>iSCSI over TCP: <c>iscsi://</c> URLs and <c>ADDR[:PORT]</c> portals.</summary>
    public static readonly TcpTransport Tcp = new();

    /// <summary>Every transport a target may listen on.</summary>
    public static IReadOnlyList<IDataMoverTransport> All { get; } = [Tcp];
}
