using NetScsi.Transport.InMemory;

namespace NetScsi.Messaging.Tests;

/// <summary>N ranks in this process, joined by the in-memory mover (each rank's target on its own mover).</summary>
internal sealed class Cluster : IAsyncDisposable
{
    private Cluster(MessagingWorld[] worlds) => Worlds = worlds;

    public MessagingWorld[] Worlds { get; }

    public int Size => Worlds.Length;

    public static async Task<Cluster> StartAsync(int size, Action<MessagingWorldOptions>? configure = null)
    {
        var movers = new InMemoryDataMover[size];
        for (int i = 0; i < size; i++)
        {
            movers[i] = new InMemoryDataMover("rank" + i);
        }
        var starts = new Task<MessagingWorld>[size];
        for (int rank = 0; rank < size; rank++)
        {
            var options = new MessagingWorldOptions { Rank = rank, StartTimeout = TimeSpan.FromSeconds(20) };
            foreach (InMemoryDataMover mover in movers)
            {
                options.Peers.Add(new PeerAddress(mover.Portal, mover));
            }
            options.Listeners.Add(movers[rank]);
            configure?.Invoke(options);
            starts[rank] = MessagingWorld.StartAsync(options);
        }
        return new Cluster(await Task.WhenAll(starts));
    }

    /// <summary>Runs <paramref name="body"/> on every rank, each on its own thread (ranks block), and waits for all.</summary>
    public async Task RunAsync(Action<Communicator> body, TimeSpan? timeout = null)
    {
        var tasks = new Task[Size];
        for (int rank = 0; rank < Size; rank++)
        {
            Communicator world = Worlds[rank].World;
            tasks[rank] = Task.Factory.StartNew(() => body(world), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        await Task.WhenAll(tasks).WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Worlds.Select(w => w.DisposeAsync().AsTask()));
    }
}
