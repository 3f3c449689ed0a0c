namespace NetScsi.Transport.Ethernet;

/// <summary>A target's data mover on an Ethernet connection: the stream mover over the connection's pipes.</summary>
internal sealed class EthernetTargetDataMover(EthernetConnection connection, TimeSpan closeTimeout)
    : StreamTargetDataMover(connection.Pipe, EthernetTransport.TransportName, connection.Peer.ToString(), connection.RemoteName)
{
    internal EthernetConnection Connection { get; } = connection;

    protected override void AbortStream() => Connection.Abort();

    protected override ValueTask CloseStreamAsync() => Connection.CloseAsync(closeTimeout);
}

/// <summary>An initiator's data mover on an Ethernet connection: the stream mover over the connection's pipes.</summary>
internal sealed class EthernetInitiatorDataMover(EthernetConnection connection, TimeSpan closeTimeout)
    : StreamInitiatorDataMover(connection.Pipe, EthernetTransport.TransportName, connection.Peer.ToString(), connection.RemoteName)
{
    internal EthernetConnection Connection { get; } = connection;

    protected override void AbortStream() => Connection.Abort();

    protected override ValueTask CloseStreamAsync() => Connection.CloseAsync(closeTimeout);
}
