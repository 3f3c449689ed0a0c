using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Target;
using NetScsi.Scsi;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Messaging;
using NetScsi.Transport;
using NetScsi.Transport.Tcp;

namespace NetScsi.Messaging;

/// <summary>
/// One rank of a message-passing job (MPI_Init .. MPI_Finalize). The rank is a SCSI target serving a
/// communications device (peripheral device type 09h) whose SEND MESSAGE(10) commands, STREAM SELECTION
/// <see cref="Stream"/>, carry the messages other ranks send it, and whose READ MESSAGE DATA (vendor opcode C1h)
/// lets them pull the large messages it announced; and it is an initiator holding one iSCSI session to every other
/// rank's device. <see cref="World"/> is MPI_COMM_WORLD. Disposing it is MPI_Finalize: a barrier, then the sessions
/// and the target close.
/// </summary>
public sealed partial class MessagingWorld : IAsyncDisposable
{
    /// <summary>STREAM SELECTION of message traffic: 88B5h, the IEEE 802 local experimental Ethernet type (RFC 2143 §3 takes stream values from Ethernet types).</summary>
    public const ushort Stream = 0x88B5;

    /// <summary>The environment variables <c>netscsi mpi run</c> sets for each rank.</summary>
    public const string RankVariable = "NETSCSI_MPI_RANK";

    /// <inheritdoc cref="RankVariable"/>
    public const string SizeVariable = "NETSCSI_MPI_SIZE";

    /// <summary>Every rank's portal, HOST:PORT, comma-separated in rank order.</summary>
    public const string PeersVariable = "NETSCSI_MPI_PEERS";

    private readonly MessagingWorldOptions _options;
    private readonly ILogger _logger;
    private readonly PeerChannel?[] _channels;
    private readonly CommunicationsLogicalUnit _unit;
    private readonly Stack<RequestState> _requestPool = new();
    private readonly object _retryLock = new();
    private readonly List<PeerChannel.Slot> _retries = [];
    private readonly List<PeerChannel.Slot> _retrying = [];
    private readonly SemaphoreSlim _retrySignal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private IscsiTargetServer? _server;
    private Thread? _retryThread;
    private Thread? _monitorThread;
    private volatile Exception? _failure;
    private volatile bool _closing;
    private int _disposed;
    private int _nextContext = 2;

    private MessagingWorld(MessagingWorldOptions options)
    {
        _options = options;
        Rank = options.Rank;
        Size = options.Peers.Count;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("NetScsi.Messaging");
        _channels = new PeerChannel?[Size];
        InitializeMatching();
        _unit = new CommunicationsLogicalUnit(new Sink(this), new CommunicationsLogicalUnitOptions
        {
            Identity = "mpi-rank-" + Rank.ToString(CultureInfo.InvariantCulture),
            MaxMessageLength = Envelope.Size + options.EagerLimit,
            UnselectedStream = null,
            QueueFullAction = MessageQueueFullAction.TaskSetFull,
            DataSource = new Sink(this),
            MaxReadLength = options.PullChunk,
        });
        World = new Communicator(this, [.. Enumerable.Range(0, Size)], 0);
    }

    /// <summary>This rank in the world, 0..<see cref="Size"/>-1.</summary>
    public int Rank { get; }

    /// <summary>How many ranks the job has.</summary>
    public int Size { get; }

    /// <summary>Every rank (MPI_COMM_WORLD).</summary>
    public Communicator World { get; }

    /// <summary>The limits this world runs with.</summary>
    public MessagingWorldOptions Options => _options;

    /// <summary>This rank's communications device (its counters: messages taken, TASK SET FULL answers, bytes pulled).</summary>
    public CommunicationsLogicalUnit Unit => _unit;

    /// <summary>Where this rank's target listens (with the ports the system chose).</summary>
    public IReadOnlyList<Portal> ListeningPortals => _server?.ListeningPortals ?? [];

    /// <summary>Why the world failed (a peer lost), or null.</summary>
    public Exception? Failure => _failure;

    /// <summary>The iSCSI name of a rank's target.</summary>
    public static string TargetNameOf(int rank) => "iqn.2026-11.org.netscsi:mpi-rank" + rank.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Joins the world: serves this rank's communications device, then logs in to every other rank's (waiting up to
    /// <see cref="MessagingWorldOptions.StartTimeout"/> for them to come up).
    /// </summary>
    public static async Task<MessagingWorld> StartAsync(MessagingWorldOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Peers.Count);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(options.Rank, options.Peers.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.EagerLimit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.EagerLimit, (int)ushort.MaxValue - Envelope.Size);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ReceiveSlotsPerPeer, 2);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxInFlightPerPeer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.PullChunk);
        var world = new MessagingWorld(options);
        try
        {
            await world.StartCoreAsync(cancellationToken).ConfigureAwait(false);
            return world;
        }
        catch
        {
            world._closing = true;
            await world.CloseAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Joins the world <c>netscsi mpi run</c> describes in <see cref="RankVariable"/>, <see cref="SizeVariable"/> and
    /// <see cref="PeersVariable"/>, over TCP. Without them: a world of one rank.
    /// </summary>
    public static Task<MessagingWorld> StartFromEnvironmentAsync(CancellationToken cancellationToken = default)
    {
        var options = new MessagingWorldOptions();
        var tcp = new TcpTransport();
        string? peers = Environment.GetEnvironmentVariable(PeersVariable);
        if (peers is null)
        {
            options.Peers.Add(new PeerAddress(new TcpPortal(new IPEndPoint(IPAddress.Loopback, 0)), tcp));
            options.ListenPortals.Add(options.Peers[0].Portal);
            options.Transports.Add(tcp);
            return StartAsync(options, cancellationToken);
        }
        string[] entries = peers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (!int.TryParse(Environment.GetEnvironmentVariable(RankVariable), NumberStyles.None, CultureInfo.InvariantCulture, out int rank)
            || rank >= entries.Length)
        {
            throw new MessagingException($"{RankVariable} must be a rank below the {entries.Length} entries of {PeersVariable}");
        }
        if (Environment.GetEnvironmentVariable(SizeVariable) is string size && size != entries.Length.ToString(CultureInfo.InvariantCulture))
        {
            throw new MessagingException($"{SizeVariable}={size} but {PeersVariable} lists {entries.Length} ranks");
        }
        options.Rank = rank;
        foreach (string entry in entries)
        {
            if (!tcp.TryParsePortal(entry, TcpPortal.DefaultPort, out Portal? portal, out string? error))
            {
                throw new MessagingException($"{PeersVariable}: {error}");
            }
            options.Peers.Add(new PeerAddress(portal, tcp));
        }
        options.ListenPortals.Add(options.Peers[rank].Portal);
        options.Transports.Add(tcp);
        return StartAsync(options, cancellationToken);
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        var targetOptions = new IscsiTargetOptions { QueueDepth = 256 };
        foreach (Portal portal in _options.ListenPortals)
        {
            targetOptions.Portals.Add(portal);
        }
        foreach (IDataMoverTransport transport in _options.Transports)
        {
            targetOptions.Transports.Add(transport);
        }
        var target = new TargetDefinition { Name = TargetNameOf(Rank), Alias = "mpi rank " + Rank.ToString(CultureInfo.InvariantCulture) };
        target.Luns.Add(new LunMapping(0, _unit));
        targetOptions.Targets.Add(target);
        _server = new IscsiTargetServer(targetOptions, _options.LoggerFactory ?? NullLoggerFactory.Instance);
        await _server.StartAsync(cancellationToken).ConfigureAwait(false);
        foreach (IDataMoverListener listener in _options.Listeners)
        {
            _server.AddListener(listener);
        }
        _retryThread = new Thread(RetryLoop) { IsBackground = true, Name = "netscsi-mpi-retry" };
        _retryThread.Start();

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.StartTimeout);
        var connects = new List<Task>();
        for (int rank = 0; rank < Size; rank++)
        {
            if (rank != Rank)
            {
                connects.Add(ConnectAsync(rank, deadline.Token));
            }
        }
        try
        {
            await Task.WhenAll(connects).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var missing = new List<int>();
            for (int rank = 0; rank < Size; rank++)
            {
                if (rank != Rank && _channels[rank] is null)
                {
                    missing.Add(rank);
                }
            }
            throw new MessagingException($"rank {Rank}: rank(s) {string.Join(", ", missing)} did not answer within {_options.StartTimeout.TotalSeconds:0} s");
        }
        _monitorThread = new Thread(MonitorLoop) { IsBackground = true, Name = "netscsi-mpi-monitor" };
        _monitorThread.Start();
    }

    private async Task ConnectAsync(int rank, CancellationToken cancellationToken)
    {
        PeerAddress peer = _options.Peers[rank];
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            IscsiSession? session = null;
            try
            {
                session = await IscsiSession.ConnectAsync(new IscsiSessionOptions
                {
                    Portal = peer.Portal,
                    Connector = peer.Connector,
                    TargetName = TargetNameOf(rank),
                    InitiatorName = TargetNameOf(Rank) + ":initiator",
                    InlineCompletions = true,
                    ReplacementTimeout = _options.FailureTimeout,
                    NopInterval = TimeSpan.FromSeconds(1),
                    NopTimeout = _options.FailureTimeout,
                    CommandTimeout = TimeSpan.Zero,
                    LoginTimeout = TimeSpan.FromSeconds(5),
                    Logger = (_options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("NetScsi.Messaging.Session"),
                }, cancellationToken).ConfigureAwait(false);
                // SAM-5 §5.14: the new nexus's POWER ON unit attention is taken here, not by the first message.
                for (int attempt = 0; attempt < 4; attempt++)
                {
                    ScsiResult ready = await session.TestUnitReadyAsync(0, cancellationToken).ConfigureAwait(false);
                    if (ready.SenseKey != SenseKey.UnitAttention)
                    {
                        break;
                    }
                }
                _channels[rank] = new PeerChannel(this, rank, session);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (session is not null)
                {
                    await session.DisposeAsync().ConfigureAwait(false);
                }
                LogConnectRetry(_logger, Rank, rank, e.Message);
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    internal PeerChannel Channel(int rank) => _channels[rank] ?? throw new InvalidOperationException($"No channel to rank {rank}.");

    // ---- requests ----

    internal RequestState RentRequest()
    {
        lock (_requestPool)
        {
            if (_requestPool.TryPop(out RequestState? state))
            {
                return state;
            }
        }
        return new RequestState(this);
    }

    internal void ReturnRequest(RequestState state)
    {
        lock (_requestPool)
        {
            _requestPool.Push(state);
        }
    }

    internal int AllocateContextCandidate() => Volatile.Read(ref _nextContext);

    internal void CommitContext(int context) => Volatile.Write(ref _nextContext, Math.Max(Volatile.Read(ref _nextContext), context + 2));

    internal void ThrowIfFailed()
    {
        if (_failure is Exception failure)
        {
            throw new MessagingException(failure.Message, failure);
        }
        if (_closing)
        {
            throw new ObjectDisposedException(nameof(MessagingWorld));
        }
    }

    // ---- retries after BUSY / TASK SET FULL ----

    internal void Retry(PeerChannel.Slot slot)
    {
        lock (_retryLock)
        {
            _retries.Add(slot);
        }
        _retrySignal.Release();
    }

    private void RetryLoop()
    {
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                _retrySignal.Wait(stop);
                Thread.Sleep(_options.RetryDelay);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            lock (_retryLock)
            {
                _retrying.AddRange(_retries);
                _retries.Clear();
            }
            foreach (PeerChannel.Slot slot in _retrying)
            {
                slot.Resubmit();
            }
            _retrying.Clear();
        }
    }

    // ---- failure ----

    private void MonitorLoop()
    {
        CancellationToken stop = _stop.Token;
        var lostSince = new long[Size];
        while (!stop.WaitHandle.WaitOne(100))
        {
            if (_closing || _failure is not null)
            {
                continue;
            }
            long now = Environment.TickCount64;
            for (int rank = 0; rank < Size; rank++)
            {
                if (_channels[rank] is not PeerChannel channel)
                {
                    continue;
                }
                IscsiSessionState state = channel.Session.State;
                if (state == IscsiSessionState.Running)
                {
                    lostSince[rank] = 0;
                    continue;
                }
                if (lostSince[rank] == 0)
                {
                    lostSince[rank] = now;
                }
                if (state is IscsiSessionState.Failed or IscsiSessionState.Closed || now - lostSince[rank] >= (long)_options.FailureTimeout.TotalMilliseconds)
                {
                    Fail(new MessagingException($"rank {Rank}: rank {rank} is unreachable (its session is {state.ToString().ToLowerInvariant()}); the job cannot go on"));
                    break;
                }
            }
        }
    }

    /// <summary>The world is broken: every pending operation fails with <paramref name="cause"/>, and every later one.</summary>
    internal void Fail(Exception cause)
    {
        lock (_matchLock)
        {
            if (_failure is not null || _closing)
            {
                return;
            }
            _failure = cause;
            LogFailed(_logger, Rank, cause.Message);
            FailMatchingLocked(cause);
        }
        foreach (PeerChannel? channel in _channels)
        {
            for (RequestState? work = channel?.DrainForFailure(); work is not null;)
            {
                RequestState next = work.NextWork!;
                work.NextWork = null;
                if (work.Kind == RequestKind.Send)
                {
                    if (work.Rendezvous)
                    {
                        FailRegisteredSend(work, cause);
                    }
                    else
                    {
                        work.Complete(cause);
                    }
                }
                else if (Volatile.Read(ref work.PullOutstanding) == 0)
                {
                    work.Complete(cause);
                }
                work = next;
            }
        }
        FailRegisteredSends(cause);
    }

    /// <summary>MPI_Finalize: a barrier with the other ranks (bounded), then the sessions and the target close.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (_failure is null && _server is not null)
        {
            try
            {
                await Task.Run(() => World.BarrierCore(TimeSpan.FromSeconds(10))).ConfigureAwait(false);
            }
            catch (MessagingException e)
            {
                LogFinalBarrier(_logger, Rank, e.Message);
            }
        }
        _closing = true;
        await CloseAsync().ConfigureAwait(false);
    }

    /// <summary>Stops at once, without the final barrier: what a crashed rank looks like to the others (tests).</summary>
    internal async ValueTask AbortAsync()
    {
        Interlocked.Exchange(ref _disposed, 1);
        _closing = true;
        await CloseAsync().ConfigureAwait(false);
    }

    private async ValueTask CloseAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }
        foreach (PeerChannel? channel in _channels)
        {
            if (channel is not null)
            {
                try
                {
                    await channel.Session.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    LogCloseFailed(_logger, Rank, channel.Rank, e.Message);
                }
            }
        }
        _retryThread?.Join();
        _monitorThread?.Join();
    }

    /// <summary>The target side: messages from SEND MESSAGE(10), pulls by READ MESSAGE DATA.</summary>
    private sealed class Sink(MessagingWorld world) : IMessageSink, IMessageDataSource
    {
        public bool AcceptsStream(ushort streamSelection) => streamSelection == Stream;

        public bool TryDeliver(ushort streamSelection, ReadOnlySpan<byte> message) => world.Deliver(message);

        public bool TryRead(uint handle, uint offset, Span<byte> destination) => world.ReadRegistered(handle, offset, destination);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Rank {Rank}: rank {Peer} not reachable yet ({Reason}); retrying")]
    private static partial void LogConnectRetry(ILogger logger, int rank, int peer, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rank {Rank}: {Reason}")]
    private static partial void LogFailed(ILogger logger, int rank, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rank {Rank}: the final barrier did not complete ({Reason})")]
    private static partial void LogFinalBarrier(ILogger logger, int rank, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Rank {Rank}: closing the session to rank {Peer} failed ({Reason})")]
    private static partial void LogCloseFailed(ILogger logger, int rank, int peer, string reason);
}
