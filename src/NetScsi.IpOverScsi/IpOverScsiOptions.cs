using Microsoft.Extensions.Logging;
using NetScsi.IpOverScsi.Link;
using NetScsi.IpOverScsi.Routing;
using NetScsi.Scsi.Emulation;
using NetScsi.Transport;

namespace NetScsi.IpOverScsi;

/// <summary>What an <see cref="IpOverScsiInterface"/> serves, whom it reaches, and its bounds.</summary>
public sealed class IpOverScsiOptions
{
    /// <summary>The iSCSI name of the local target that holds the communications device (the host's SCSI address, as its peers name it).</summary>
    public required string TargetName { get; init; }

    /// <summary>The LUN of the local communications device.</summary>
    public int Lun { get; init; }

    /// <summary>Where the local target listens (each served by the transport of <see cref="Transports"/> with its name).</summary>
    public IList<Portal> ListenPortals { get; } = new List<Portal>();

    /// <summary>The transports of <see cref="ListenPortals"/>.</summary>
    public IList<IDataMoverTransport> Transports { get; } = new List<IDataMoverTransport>();

    /// <summary>Listeners already bound (the in-memory mover in tests), served besides <see cref="ListenPortals"/>.</summary>
    public IList<IDataMoverListener> Listeners { get; } = new List<IDataMoverListener>();

    /// <summary>The interface's own IPv4 address: the one it answers neighbour queries for (none answered when null).</summary>
    public System.Net.IPAddress? LocalAddress { get; init; }

    /// <summary>The neighbours on this SCSI network (the static neighbour table, RFC 2143 §4).</summary>
    public IList<PeerOptions> Peers { get; } = new List<PeerOptions>();

    /// <summary>How each peer link bounds and reconnects.</summary>
    public PeerLinkOptions Links { get; init; } = new();

    /// <summary>What a SEND MESSAGE meets when the receive queue is full: dropped and counted (a NIC's way), BUSY or TASK SET FULL.</summary>
    public MessageQueueFullAction QueueFullAction { get; init; } = MessageQueueFullAction.DropAndCount;

    /// <summary>
    /// Most datagrams waiting between the communications device and the local IP stack; 0: no queue, each SEND
    /// MESSAGE writes its datagram into the port on the command's own path (one thread hop less per datagram; the
    /// stack's own backlog is then the only queue, and a port that refuses counts as a full queue).
    /// </summary>
    public int ReceiveQueueMessages { get; init; } = 1024;

    /// <summary>Most datagram bytes waiting there.</summary>
    public long ReceiveQueueBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>The kernel's routes through the interface; by default <see cref="KernelRouteTable.Read"/> of the port's name.</summary>
    public Func<IReadOnlyList<Ipv4Route>>? Routes { get; init; }

    /// <summary>Where the interface, its target and its links log.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
