namespace NetScsi.Transport.Ethernet;

/// <summary>Accepts connections on one interface (target side).</summary>
internal sealed class EthernetListener : IDataMoverListener
{
    private readonly EthernetEndpoint _endpoint;
    private readonly TimeSpan _closeTimeout;

    public EthernetListener(EthernetEndpoint endpoint, TimeSpan closeTimeout)
    {
        _endpoint = endpoint;
        _closeTimeout = closeTimeout;
        endpoint.StartListening();
        Portal = new EthernetPortal(endpoint.Name);
    }

    public Portal Portal { get; }

    /// <summary>The interface's MAC: what initiators put in their portals.</summary>
    public MacAddress Address => _endpoint.Address;

    internal EthernetEndpoint Endpoint => _endpoint;

    public async ValueTask<ITargetDataMover?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            EthernetConnection? connection = await _endpoint.AcceptAsync(cancellationToken).ConfigureAwait(false);
            return connection is null ? null : new EthernetTargetDataMover(connection, _closeTimeout);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    /// <remarks>The initiator reaches this interface through one of its own, which only it knows: the MAC is the portal.</remarks>
    public string? FormatTargetAddress(IDataMoverConnection via) => null;

    public ValueTask DisposeAsync()
    {
        _endpoint.StopListening();
        return ValueTask.CompletedTask;
    }
}
