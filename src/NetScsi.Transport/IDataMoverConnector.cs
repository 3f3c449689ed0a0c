namespace NetScsi.Transport;

/// <summary>Opens connections to a portal (initiator side).</summary>
public interface IDataMoverConnector
{
    /// <exception cref="ArgumentException">The portal belongs to another transport.</exception>
    ValueTask<IInitiatorDataMover> ConnectAsync(Portal portal, CancellationToken cancellationToken = default);
}
