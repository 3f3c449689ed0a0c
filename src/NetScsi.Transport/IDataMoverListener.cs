using System.Net;

namespace NetScsi.Transport;

/// <summary>Accepts connections on one portal.</summary>
public interface IDataMoverListener : IAsyncDisposable
{
    EndPoint EndPoint { get; }

    /// <summary>Waits for the next connection; null once the listener is stopped.</summary>
    ValueTask<IDataMoverConnection?> AcceptAsync(CancellationToken cancellationToken = default);
}
