using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using NetScsi.Iscsi.Initiator;
using NetScsi.Transport;
using NetScsi.Transport.InMemory;
using NetScsi.Transport.Tcp;

namespace NetScsi.Functional.Tests.Initiator;

/// <summary>
/// Polling for a lone command's answer: the session tells its mover when exactly one command is out and nothing is
/// queued (<see cref="IInitiatorDataMoverHandler.ExpectsLoneAnswer"/>), and the TCP mover then polls the socket for
/// <see cref="TcpTransportOptions.ReceivePollTime"/> before it sleeps, never when that is zero.
/// </summary>
public sealed class InitiatorPollingTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task OneCommandAtATime_TheMoverIsToldItsAnswerComesAlone()
    {
        List<bool> waits = await RecordWaitsAsync(depth: 1);
        Assert.Contains(true, waits);
    }

    [Fact]
    public async Task TcpMover_LoneAnswer_PollsForTheConfiguredTime()
    {
        await using var pair = await TcpPair.ConnectAsync(TimeSpan.FromMicroseconds(50));
        Assert.True(pair.Mover.PollsBeforeWait(loneAnswer: true));
        Assert.False(pair.Mover.PollsBeforeWait(loneAnswer: false));
    }

    [Fact]
    public async Task TcpMover_ReceivePollTimeZero_NeverPolls()
    {
        await using var pair = await TcpPair.ConnectAsync(TimeSpan.Zero);
        Assert.False(pair.Mover.PollsBeforeWait(loneAnswer: true));
    }

    [Fact]
    public async Task TcpMover_PollThatFoundNothing_BacksOffTheNextChances()
    {
        await using var pair = await TcpPair.ConnectAsync(TimeSpan.FromMicroseconds(50));
        Assert.True(pair.Mover.PollsBeforeWait(loneAnswer: true));
        pair.Mover.NotePoll(found: false);
        for (int i = 0; i < PollBackoff.FirstSkip; i++)
        {
            Assert.False(pair.Mover.PollsBeforeWait(loneAnswer: true));
        }
        Assert.True(pair.Mover.PollsBeforeWait(loneAnswer: true));
    }

    /// <summary>Reads with <paramref name="depth"/> outstanding through a mover that records what each wait was told.</summary>
    private static async Task<List<bool>> RecordWaitsAsync(int depth)
    {
        await using var target = await InitiatorTarget.StartAsync();
        var connector = new RecordingConnector(target.Mover);
        // Inline continuations submit the next command before the receive loop waits: one command is out then.
        await using var session = await IscsiSession.ConnectAsync(target.Options(o =>
        {
            o.Connector = connector;
            o.InlineCompletions = true;
        })).WaitAsync(s_timeout);

        for (int round = 0; round < 50 / depth; round++)
        {
            var reads = new Task[depth];
            for (int i = 0; i < depth; i++)
            {
                reads[i] = session.ReadAsync(0, (ulong)(i * 8), 8, new byte[4096]).AsTask();
            }
            await Task.WhenAll(reads).WaitAsync(s_timeout);
        }

        lock (connector.Waits)
        {
            // Every wait the receive side made, idle ones between rounds included (those are told false).
            return [.. connector.Waits];
        }
    }

    /// <summary>Connects through an in-memory mover whose initiator side records what it is told before each wait.</summary>
    private sealed class RecordingConnector(InMemoryDataMover inner) : IDataMoverConnector
    {
        public List<bool> Waits { get; } = [];

        public ValueTask<IInitiatorDataMover> ConnectAsync(Portal portal, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult<IInitiatorDataMover>(new RecordingMover(inner.ConnectRaw(portal), Waits));
    }

    private sealed class RecordingMover(IDuplexPipe pipe, List<bool> waits) : StreamInitiatorDataMover(pipe, "memory", "memory", "memory")
    {
        protected override bool BeforeWait(bool loneAnswer)
        {
            lock (waits)
            {
                waits.Add(loneAnswer);
            }
            return false;
        }
    }

    /// <summary>A TCP initiator mover on a loopback connection.</summary>
    private sealed class TcpPair : IAsyncDisposable
    {
        private readonly Socket _listener;
        private readonly Socket _peer;

        private TcpPair(Socket listener, Socket peer, TcpInitiatorDataMover mover)
        {
            _listener = listener;
            _peer = peer;
            Mover = mover;
        }

        public TcpInitiatorDataMover Mover { get; }

        public static async Task<TcpPair> ConnectAsync(TimeSpan pollTime)
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen();
            Task<Socket> accept = listener.AcceptAsync();
            var connector = new TcpDataMoverConnector(new TcpTransportOptions { ReceivePollTime = pollTime });
            var mover = (TcpInitiatorDataMover)await connector.ConnectAsync(new TcpPortal((IPEndPoint)listener.LocalEndPoint!)).AsTask().WaitAsync(s_timeout);
            return new TcpPair(listener, await accept.WaitAsync(s_timeout), mover);
        }

        public async ValueTask DisposeAsync()
        {
            await Mover.DisposeAsync();
            _peer.Dispose();
            _listener.Dispose();
        }
    }
}
