using System.IO.Pipelines;
using NetScsi.Transport;
using NetScsi.Transport.InMemory;

namespace NetScsi.Benchmarks;

/// <summary>
/// Connects an initiator to a <see cref="FakeTarget"/>: the initiator gets an ordinary in-memory stream mover, the
/// fake target the other end of the byte stream, to answer PDUs by hand.
/// </summary>
internal sealed class FakeTargetConnector : IDataMoverConnector
{
    private readonly TaskCompletionSource<IDuplexPipe> _accepted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Portal Portal { get; } = new MemoryPortal("fake");

    /// <summary>The target's end of the first connection.</summary>
    public Task<IDuplexPipe> Accepted => _accepted.Task;

    public ValueTask<IInitiatorDataMover> ConnectAsync(Portal portal, CancellationToken cancellationToken = default)
    {
        var (client, server) = InMemoryDataMover.CreatePipePair();
        _accepted.TrySetResult(server);
        return ValueTask.FromResult<IInitiatorDataMover>(new StreamInitiatorDataMover(client, InMemoryDataMover.TransportName, "fake", "fake"));
    }
}
