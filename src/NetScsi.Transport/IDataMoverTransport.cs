using System.Diagnostics.CodeAnalysis;

namespace NetScsi.Transport;

/// <summary>
/// One kind of data mover (TCP, in-memory, raw Ethernet, RDMA): parses its portals, binds listeners for the
/// target and opens connections for the initiator. The composition root (the CLI, a test, a benchmark) hands the
/// transports it wants to the protocol engines, which never name one.
/// </summary>
public interface IDataMoverTransport : IDataMoverConnector
{
    /// <summary>The transport's name, as in <see cref="Portal.Transport"/>.</summary>
    string Name { get; }

    /// <summary>Parses a portal in this transport's own text form (TCP: <c>HOST[:PORT]</c>).</summary>
    /// <param name="text">The portal text, without any transport prefix.</param>
    /// <param name="defaultPort">The port when the text gives none, for transports that have ports.</param>
    /// <param name="portal">The portal, or null.</param>
    /// <param name="error">Why the text is not a portal of this transport, or null.</param>
    bool TryParsePortal(string text, int defaultPort, [NotNullWhen(true)] out Portal? portal, [NotNullWhen(false)] out string? error);

    /// <summary>Binds a listener on <paramref name="portal"/> (one of this transport's).</summary>
    ValueTask<IDataMoverListener> ListenAsync(Portal portal, CancellationToken cancellationToken = default);
}
