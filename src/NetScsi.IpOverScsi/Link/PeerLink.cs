using Microsoft.Extensions.Logging;
using NetScsi.Iscsi.Initiator;
using NetScsi.Scsi;
using NetScsi.Scsi.Commands;

namespace NetScsi.IpOverScsi.Link;

/// <summary>
/// The initiator side of one SCSI link (RFC 2143 §2-§3): an iSCSI session to a neighbour's communications device
/// logical unit, over which each datagram goes as one SEND MESSAGE(10). The link logs in in the background, checks
/// with INQUIRY that the unit is a communications device (09h), and logs in again whenever the session is lost for
/// good, so traffic resumes when a neighbour restarts; meanwhile datagrams are dropped and counted, never queued
/// without bound. Datagrams are submitted in the order they are given (the transmit loop's), at most
/// <see cref="PeerLinkOptions.MaxInFlight"/> at a time, each in a buffer the link owns until its command completes:
/// <see cref="TrySend"/> swaps the caller's buffer for a free one, so nothing is copied or allocated per datagram.
/// </summary>
public sealed partial class PeerLink : IAsyncDisposable
{
    private readonly PeerOptions _peer;
    private readonly PeerLinkOptions _options;
    private readonly ILogger _logger;
    private readonly Stack<PendingSend> _free = new();
    private readonly object _freeLock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly int _bufferSize;
    private IscsiSession? _session;
    private Task _run = Task.CompletedTask;
    private int _state = (int)PeerState.Connecting;
    private long _sent;
    private long _sentBytes;
    private long _droppedDown;
    private long _droppedFull;
    private long _busy;
    private long _rejected;
    private long _failed;
    private long _connects;
    private long _hardwareAddress;

    /// <param name="peer">The neighbour.</param>
    /// <param name="options">In-flight bound and reconnect timing.</param>
    /// <param name="bufferSize">The interface MTU: every buffer holds a whole datagram.</param>
    /// <param name="logger">Where login failures and refusals are told.</param>
    public PeerLink(PeerOptions peer, PeerLinkOptions options, int bufferSize, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxInFlight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferSize);
        _peer = peer;
        _options = options;
        _logger = logger;
        _bufferSize = bufferSize;
        for (int i = 0; i < options.MaxInFlight; i++)
        {
            _free.Push(new PendingSend(this, bufferSize));
        }
    }

    /// <summary>The neighbour's options.</summary>
    public PeerOptions Peer => _peer;

    /// <summary>The name in logs: the display name, else the address, else the portal.</summary>
    public string Name => _peer.DisplayName ?? _peer.Address?.ToString() ?? _peer.Session.Portal?.ToString() ?? "peer";

    /// <summary>The address a neighbour query found for this peer (null until then, and for a configured address).</summary>
    public System.Net.IPAddress? LearnedAddress { get; internal set; }

    /// <summary>The configured or learned address.</summary>
    public System.Net.IPAddress? Address => _peer.Address ?? LearnedAddress;

    /// <summary>The peer's hardware address for neighbour queries (from its target name), 0 until the link first came up.</summary>
    public ulong HardwareAddress => (ulong)Interlocked.Read(ref _hardwareAddress);

    /// <summary>Where the link stands.</summary>
    public PeerState State => (PeerState)Volatile.Read(ref _state);

    /// <summary>What became of the datagrams sent so far.</summary>
    public PeerCounters Counters => new(
        Interlocked.Read(ref _sent),
        Interlocked.Read(ref _sentBytes),
        Interlocked.Read(ref _droppedDown),
        Interlocked.Read(ref _droppedFull),
        Interlocked.Read(ref _busy),
        Interlocked.Read(ref _rejected),
        Interlocked.Read(ref _failed),
        Interlocked.Read(ref _connects));

    /// <summary>Starts logging in in the background; returns at once.</summary>
    public void Start() => _run = RunAsync(_stop.Token);

    /// <summary>Waits until the link is up (tests, and the CLI's start-up report); false on timeout.</summary>
    public async Task<bool> WaitUpAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (State != PeerState.Up)
        {
            if (Environment.TickCount64 >= deadline || State == PeerState.Closed)
            {
                return false;
            }
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>
    /// Sends <paramref name="length"/> bytes of <paramref name="buffer"/> (at least the MTU long) as one SEND
    /// MESSAGE(10) with STREAM SELECTION <paramref name="stream"/>. On true the link has taken the buffer and
    /// <paramref name="buffer"/> is a free one to reuse; on false (link down, too many in flight) nothing was taken
    /// and the datagram is dropped and counted. The command's outcome is counted when it completes.
    /// </summary>
    public bool TrySend(ref byte[] buffer, int length, ushort stream)
    {
        IscsiSession? session = Volatile.Read(ref _session);
        if (session is null || session.State != IscsiSessionState.Running)
        {
            Interlocked.Increment(ref _droppedDown);
            return false;
        }
        PendingSend? pending;
        lock (_freeLock)
        {
            _free.TryPop(out pending);
        }
        if (pending is null)
        {
            Interlocked.Increment(ref _droppedFull);
            return false;
        }
        (pending.Buffer, buffer) = (buffer, pending.Buffer);
        pending.Length = length;
        pending.Session = session;
        pending.Retried = false;
        new SendMessageCdb(stream, (uint)length).WriteTo(pending.Cdb);
        Submit(pending);
        return true;
    }

    private void Submit(PendingSend pending)
    {
        ValueTask<ScsiResult> command;
        try
        {
            command = pending.Session!.ExecuteAsync(_peer.Lun, pending.Cdb, default, pending.Buffer.AsMemory(0, pending.Length));
        }
        catch (Exception e)
        {
            // The session closed between the state check and the submit: the datagram is lost like any other.
            Complete(pending, default, e);
            return;
        }
        pending.Start(command);
    }

    private void Complete(PendingSend pending, ScsiResult result, Exception? failure)
    {
        if (failure is null && !pending.Retried && result.SenseKey == SenseKey.UnitAttention)
        {
            // A reset or a nexus loss the peer reports once: the datagram itself was not refused, send it again.
            pending.Retried = true;
            Submit(pending);
            return;
        }
        pending.Session = null;
        if (failure is not null)
        {
            Interlocked.Increment(ref _failed);
        }
        else if (result.IsGood)
        {
            Interlocked.Increment(ref _sent);
            Interlocked.Add(ref _sentBytes, pending.Length);
        }
        else if (result.Response == 0 && result.Status is ScsiStatus.Busy or ScsiStatus.TaskSetFull)
        {
            Interlocked.Increment(ref _busy);
        }
        else
        {
            if (Interlocked.Increment(ref _rejected) == 1)
            {
                LogFirstRejection(_logger, Name, pending.Length, result.Describe());
            }
        }
        lock (_freeLock)
        {
            _free.Push(pending);
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        TimeSpan delay = _options.ReconnectDelay;
        bool reportedFailure = false;
        while (!stop.IsCancellationRequested)
        {
            IscsiSession? session = null;
            try
            {
                Volatile.Write(ref _state, (int)PeerState.Connecting);
                if (_peer.Session.TargetName is null)
                {
                    IReadOnlyList<DiscoveredTarget> targets = await IscsiDiscovery.DiscoverAsync(_peer.Session, stop).ConfigureAwait(false);
                    if (targets.Count == 0)
                    {
                        throw new InvalidDataException("the portal offers no targets");
                    }
                    _peer.Session.TargetName = targets[0].TargetName;
                }
                session = await IscsiSession.ConnectAsync(_peer.Session, stop).ConfigureAwait(false);
                InquiryData inquiry = await session.InquiryAsync(_peer.Lun, stop).ConfigureAwait(false);
                if (inquiry.PeripheralDeviceType != PeripheralDeviceType.Communications)
                {
                    throw new InvalidDataException($"LUN {_peer.Lun} of {session.TargetName} is peripheral device type {inquiry.PeripheralDeviceType:X2}h, not a communications device (09h)");
                }
                // SAM-5 §5.14: a new nexus first meets POWER ON, RESET (29/00); INQUIRY does not clear it, so the
                // first datagram would. TEST UNIT READY takes it (and any other pending unit attention) here.
                for (int attempt = 0; attempt < 4; attempt++)
                {
                    ScsiResult ready = await session.TestUnitReadyAsync(_peer.Lun, stop).ConfigureAwait(false);
                    if (ready.SenseKey != SenseKey.UnitAttention)
                    {
                        break;
                    }
                }
                Interlocked.Increment(ref _connects);
                Interlocked.Exchange(ref _hardwareAddress, (long)Routing.NeighbourQuery.HardwareAddressOf(session.TargetName));
                Volatile.Write(ref _session, session);
                Volatile.Write(ref _state, (int)PeerState.Up);
                LogUp(_logger, Name, session.TargetName, _peer.Lun);
                reportedFailure = false;
                delay = _options.ReconnectDelay;

                // Up until the session gives up recovering (replacement timeout, permanent login error) or closes.
                while (!stop.IsCancellationRequested)
                {
                    IscsiSessionState state = session.State;
                    if (state is IscsiSessionState.Failed or IscsiSessionState.Closed)
                    {
                        break;
                    }
                    Volatile.Write(ref _state, (int)(state == IscsiSessionState.Running ? PeerState.Up : PeerState.Down));
                    await Task.Delay(_options.HealthInterval, stop).ConfigureAwait(false);
                }
                if (!stop.IsCancellationRequested)
                {
                    LogLost(_logger, Name);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                if (!reportedFailure)
                {
                    LogConnectFailed(_logger, Name, e.Message);
                    reportedFailure = true;
                }
            }
            finally
            {
                Volatile.Write(ref _session, null);
                if (session is not null)
                {
                    await session.DisposeAsync().ConfigureAwait(false);
                }
            }
            if (stop.IsCancellationRequested)
            {
                break;
            }
            Volatile.Write(ref _state, (int)PeerState.Down);
            try
            {
                await Task.Delay(delay, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
        }
    }

    /// <summary>Stops logging in, logs out, and waits for the outstanding commands.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _state, (int)PeerState.Closed) == (int)PeerState.Closed)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException)
        {
        }
        Volatile.Write(ref _state, (int)PeerState.Closed);
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Peer {Peer}: up (target {Target}, LUN {Lun})")]
    private static partial void LogUp(ILogger logger, string peer, string target, ulong lun);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Peer {Peer}: session lost; logging in again")]
    private static partial void LogLost(ILogger logger, string peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Peer {Peer}: cannot log in ({Reason}); retrying")]
    private static partial void LogConnectFailed(ILogger logger, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Peer {Peer}: a {Length}-byte datagram was refused ({Result}); further refusals are only counted")]
    private static partial void LogFirstRejection(ILogger logger, string peer, int length, string result);

    /// <summary>One SEND MESSAGE in flight: its datagram buffer, its CDB and the continuation, all reused.</summary>
    private sealed class PendingSend
    {
        private readonly PeerLink _owner;
        private readonly ReusableCommandAwaiter _completion;

        public PendingSend(PeerLink owner, int bufferSize)
        {
            _owner = owner;
            Buffer = new byte[bufferSize];
            _completion = new ReusableCommandAwaiter((result, failure) => _owner.Complete(this, result, failure));
        }

        public byte[] Buffer { get; set; }

        public int Length { get; set; }

        public byte[] Cdb { get; } = new byte[SendMessageCdb.Length10];

        public IscsiSession? Session { get; set; }

        public bool Retried { get; set; }

        public void Start(ValueTask<ScsiResult> command) => _completion.Start(command);
    }
}
