using System.Net;

namespace NetScsi.Transport;

/// <summary>Opens connections to a portal (initiator side).</summary>
public interface IDataMoverConnector
{
    ValueTask<IDataMoverConnection> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken = default);
}
