using System.IO.Pipelines;
using System.Threading.Channels;

namespace NetScsi.Transport.InMemory;

/// <summary>
/// A transport with no sockets: each connection is two <see cref="Pipe"/>s cross-wired, a byte stream under the
/// stream movers on both ends. Functional tests and benchmarks run initiator and target in one process over it.
/// </summary>
public sealed class InMemoryDataMover : IDataMoverListener, IDataMoverConnector
{
    public const string TransportName = "memory";

    private readonly Channel<ITargetDataMover> _pending = Channel.CreateUnbounded<ITargetDataMover>();

    public InMemoryDataMover(string name = TransportName)
    {
        Portal = new MemoryPortal(name);
    }

    /// <summary>The mover's one portal: connect to it to reach the listener.</summary>
    public Portal Portal { get; }

    private static PipeOptions DefaultPipeOptions { get; } =
        new(pauseWriterThreshold: 4 * 1024 * 1024, resumeWriterThreshold: 2 * 1024 * 1024, useSynchronizationContext: false);

    /// <summary>Two cross-wired pipes: what one end writes, the other reads.</summary>
    public static (IDuplexPipe Client, IDuplexPipe Server) CreatePipePair(PipeOptions? options = null)
    {
        options ??= DefaultPipeOptions;
        var toServer = new Pipe(options);
        var toClient = new Pipe(options);
        return (new DuplexPipe(toClient.Reader, toServer.Writer), new DuplexPipe(toServer.Reader, toClient.Writer));
    }

    public ValueTask<IInitiatorDataMover> ConnectAsync(Portal portal, CancellationToken cancellationToken = default)
    {
        IDuplexPipe client = ConnectRaw(portal);
        return ValueTask.FromResult<IInitiatorDataMover>(new StreamInitiatorDataMover(client, TransportName, Portal.ToString(), Portal.ToString()));
    }

    /// <summary>
    /// Connects without an initiator mover: the caller gets the byte stream itself, to write PDUs by hand (tests of
    /// malformed input, raw-PDU benchmarks). The listener's end is an ordinary target mover.
    /// </summary>
    public IDuplexPipe ConnectRaw(Portal portal)
    {
        if (portal != Portal)
        {
            throw new ArgumentException($"{portal} is not this in-memory mover's portal ({Portal}).", nameof(portal));
        }
        var (client, server) = CreatePipePair();
        if (!_pending.Writer.TryWrite(new StreamTargetDataMover(server, TransportName, Portal.ToString(), Portal.ToString())))
        {
            throw new IOException("In-memory listener is stopped.");
        }
        return client;
    }

    public async ValueTask<ITargetDataMover?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _pending.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    /// <remarks>An in-memory portal is not reachable from another process: SendTargets does not report it.</remarks>
    public string? FormatTargetAddress(IDataMoverConnection via) => null;

    public ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }
}
