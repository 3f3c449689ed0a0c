using System.IO.Pipelines;
using System.Threading.Channels;

namespace NetScsi.Transport.InMemory;

/// <summary>
/// A data mover with no sockets: each connection is two <see cref="Pipe"/>s cross-wired. Used by
/// functional tests and benchmarks to run initiator and target in one process.
/// </summary>
public sealed class InMemoryDataMover : IDataMoverListener, IDataMoverConnector
{
    private readonly Channel<IDataMoverConnection> _pending = Channel.CreateUnbounded<IDataMoverConnection>();

    public InMemoryDataMover(string name = "memory")
    {
        Portal = new MemoryPortal(name);
    }

    /// <summary>The mover's one portal: connect to it to reach the listener.</summary>
    public Portal Portal { get; }

    /// <summary>Creates a connected pair without going through accept (benchmarks).</summary>
    public static (IDataMoverConnection Client, IDataMoverConnection Server) CreatePair(PipeOptions? options = null)
    {
        options ??= new PipeOptions(pauseWriterThreshold: 4 * 1024 * 1024, resumeWriterThreshold: 2 * 1024 * 1024, useSynchronizationContext: false);
        var toServer = new Pipe(options);
        var toClient = new Pipe(options);
        var client = new InMemoryConnection(new DuplexPipe(toClient.Reader, toServer.Writer));
        var server = new InMemoryConnection(new DuplexPipe(toServer.Reader, toClient.Writer));
        return (client, server);
    }

    public ValueTask<IDataMoverConnection> ConnectAsync(Portal portal, CancellationToken cancellationToken = default)
    {
        if (portal != Portal)
        {
            throw new ArgumentException($"{portal} is not this in-memory mover's portal ({Portal}).", nameof(portal));
        }

        var (client, server) = CreatePair();
        if (!_pending.Writer.TryWrite(server))
        {
            throw new IOException("In-memory listener is stopped.");
        }
        return ValueTask.FromResult(client);
    }

    public async ValueTask<IDataMoverConnection?> AcceptAsync(CancellationToken cancellationToken = default)
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

    private sealed class InMemoryConnection(IDuplexPipe pipe) : IDataMoverConnection
    {
        public IDuplexPipe Transport { get; } = pipe;

        public string Kind => "memory";

        public string PeerAddress => "memory";

        public string RemoteName => "memory";

        public void Abort()
        {
            // Like a TCP FIN after the last write: the peer reads what was sent, then end of stream.
            Transport.Input.CancelPendingRead();
            Transport.Input.Complete();
            Transport.Output.Complete();
        }

        public ValueTask DisposeAsync()
        {
            Transport.Input.Complete();
            Transport.Output.Complete();
            return ValueTask.CompletedTask;
        }
    }
}
