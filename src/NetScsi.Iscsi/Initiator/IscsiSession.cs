using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NetScsi.Iscsi.Pdus;
using NetScsi.Iscsi.Session;
using NetScsi.Scsi;
using NetScsi.Transport;

namespace NetScsi.Iscsi.Initiator;

/// <summary>Where an <see cref="IscsiSession"/> stands.</summary>
public enum IscsiSessionState
{
    /// <summary>Logged in; commands flow.</summary>
    Running,

    /// <summary>The connection was lost; the session is reconnecting (commands queue and are re-issued).</summary>
    Recovering,

    /// <summary>Logging out: no new commands.</summary>
    Closing,

    /// <summary>Logged out or disposed.</summary>
    Closed,

    /// <summary>Recovery gave up (replacement timeout or a permanent login error); commands fail.</summary>
    Failed,
}

/// <summary>
/// An iSCSI initiator session (RFC 7143), ErrorRecoveryLevel 0: thread-safe, asynchronous, many commands
/// outstanding within the CmdSN window, over one connection or several (<see cref="IscsiSessionOptions.Connections"/>,
/// MC/S §4.2.2: commands spread over the connections, each command's exchange staying on its connection, §7).
/// A lost connection fails the session's connections and is replaced by session reinstatement (same ISID, TSIH 0,
/// §6.3.5), then the extra connections again; every unfinished command is re-issued, until
/// <see cref="IscsiSessionOptions.ReplacementTimeout"/> expires.
/// </summary>
public sealed partial class IscsiSession : IAsyncDisposable, IScsiBlockIo
{
    private const int MaxPooled = 1024;

    private readonly IscsiSessionOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IDataMoverConnector _connector;
    private readonly Portal _portal;
    private readonly object _lock = new();
    private readonly Dictionary<uint, InitiatorCommand> _active = new();
    private readonly Queue<InitiatorCommand> _pending = new();
    private readonly Queue<InitiatorCommand> _immediate = new();
    private readonly Stack<InitiatorCommand> _pool = new();
    private readonly Dictionary<ulong, int> _blockSizes = new();
    private readonly CancellationTokenSource _disposed = new();

    private IscsiSessionState _state;
    /// <summary>The leading connection (CID 0) of the current login; null while there is none.</summary>
    private InitiatorConnection? _connection;

    /// <summary>Every connection commands run on now, the leading one first; replaced (never changed in place) under the lock.</summary>
    private InitiatorConnection[] _connections = [];

    /// <summary>Counts session (re)instatements: an extra connection's login that finishes for an older one is dropped.</summary>
    private int _generation;

    /// <summary>Where <see cref="LeastLoadedLocked"/> starts looking among equally loaded connections.</summary>
    private uint _senderRotor;

    /// <summary>The connection the session's Logout went on; the others may close before its answer.</summary>
    private InitiatorConnection? _logoutConnection;
    private IscsiSessionParameters _parameters;
    private Exception? _failure;
    private uint _cmdSN;
    private uint _expCmdSN;
    private uint _maxCmdSN;
    private uint _nextItt;
    private long _nextIssueId;
    private long _nextSubmitSequence;
    private int _recoveries;

    /// <summary>How long the next recovery waits before reconnecting (a Time2Wait the target gave us, §11.9.1).</summary>
    private TimeSpan _reconnectDelay;
    private Task _watchdog = Task.CompletedTask;
    private Task _recovery = Task.CompletedTask;

    private IscsiSession(IscsiSessionOptions options, ulong isid)
    {
        _options = options;
        _logger = options.Logger ?? NullLogger.Instance;
        _time = options.TimeProvider;
        (_portal, _connector) = options.RequireConnection();
        Isid = isid;
        _parameters = new IscsiSessionParameters();
        _cmdSN = 1;
        _nextItt = (uint)RandomNumberGenerator.GetInt32(1, int.MaxValue);
    }

    /// <summary>The session's ISID (48 bits); kept across reinstatement.</summary>
    public ulong Isid { get; }

    /// <summary>The TSIH the target assigned at the last login.</summary>
    public ushort Tsih { get; private set; }

    /// <summary>The target this session is logged into.</summary>
    public string TargetName => _options.TargetName!;

    /// <summary>The target's alias, if it declared one.</summary>
    public string? TargetAlias { get; private set; }

    /// <summary>How the last login of this session authenticated.</summary>
    public LoginAuthentication Authentication { get; private set; }

    /// <summary>The negotiated values of the current connection.</summary>
    public IscsiSessionParameters Parameters
    {
        get
        {
            lock (_lock)
            {
                return _parameters;
            }
        }
    }

    /// <summary>
    /// Raised with (LUN, ASC, ASCQ) for each UNIT ATTENTION a command gets, before the conveniences retry it: how a
    /// caller hears of, say, ASYMMETRIC ACCESS STATE CHANGED (2Ah/06h) that the retry would otherwise hide. Runs on the
    /// receive loop; keep it short.
    /// </summary>
    public event Action<ulong, byte, byte>? UnitAttention;

    /// <summary>The session's state.</summary>
    public IscsiSessionState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>How many connections the session has now (1 unless <see cref="IscsiSessionOptions.Connections"/> asked for more and the target agreed).</summary>
    public int ConnectionCount
    {
        get
        {
            lock (_lock)
            {
                return _connections.Length;
            }
        }
    }

    /// <summary>SCSI commands issued on each current connection so far, by CID order (the leading connection first).</summary>
    public long[] CommandsIssuedPerConnection()
    {
        lock (_lock)
        {
            var counts = new long[_connections.Length];
            for (int i = 0; i < counts.Length; i++)
            {
                counts[i] = _connections[i].Issued;
            }

            return counts;
        }
    }

    /// <summary>
    /// Tests: tears down the transport of the connection with this CID as a network failure would (RFC 5047
    /// Connection_Terminate), without telling the session first; false when there is no such connection.
    /// </summary>
    internal bool TerminateConnectionForTest(ushort cid)
    {
        InitiatorConnection? found = null;
        lock (_lock)
        {
            foreach (InitiatorConnection connection in _connections)
            {
                if (connection.Cid == cid)
                {
                    found = connection;
                }
            }
        }

        found?.Mover.Terminate();
        return found is not null;
    }

    /// <summary>Tests: the session's sequencing and each connection's and active command's state, as text.</summary>
    internal string DescribeForTest()
    {
        lock (_lock)
        {
            var text = new System.Text.StringBuilder();
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"state {_state} cmdSN {_cmdSN} expCmdSN {_expCmdSN} maxCmdSN {_maxCmdSN} pending {_pending.Count} immediate {_immediate.Count}\n");
            foreach (InitiatorConnection c in _connections)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"  CID {c.Cid}: attached {c.Attached} closing {c.IsClosing} outstanding {c.Outstanding} issued {c.Issued} sending {c.Sending} handedOver {c.HandedOverFlush is not null} solicited {c.Mover.HasSolicitedData} expStatSN {c.ExpStatSN} logoutRequested {c.LogoutRequested}\n");
            }

            foreach (InitiatorCommand command in _active.Values)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"  ITT 0x{command.Itt:x8} {command.Kind} CmdSN {command.CmdSN} CID {command.Connection?.Cid} state {command.State} sent {_time.GetElapsedTime(command.SentTimestamp).TotalMilliseconds:0} ms ago\n");
            }

            return text.ToString();
        }
    }

    /// <summary>How many times the connection was lost and replaced.</summary>
    public int RecoveryCount => Volatile.Read(ref _recoveries);

    /// <summary>Commands sent and not yet answered, plus those waiting to be sent.</summary>
    public int OutstandingCommands
    {
        get
        {
            lock (_lock)
            {
                return _active.Count + _pending.Count;
            }
        }
    }

    /// <summary>Connects to the portal and logs in (security and operational negotiation) to <see cref="IscsiSessionOptions.TargetName"/>.</summary>
    /// <param name="options">Where and how to log in.</param>
    /// <param name="cancellationToken">Cancels the connect and login.</param>
    public static async Task<IscsiSession> ConnectAsync(IscsiSessionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.TargetName))
        {
            throw new ArgumentException("IscsiSessionOptions.TargetName is required for a normal session (use IscsiDiscovery for discovery).", nameof(options));
        }

        options = options.Clone();
        ulong isid = options.Isid ?? RandomIsid();
        var session = new IscsiSession(options, isid & 0xFFFF_FFFF_FFFF);
        (InitiatorConnection connection, LoginOutcome login) = await session.ConnectAndLoginAsync(0, null, cancellationToken).ConfigureAwait(false);
        int generation;
        lock (session._lock)
        {
            session.StartConnectionLocked(connection, login);
            generation = session._generation;
        }

        session._watchdog = session.WatchdogAsync();
        LogLoggedIn(session._logger, session.TargetName, session.Isid, session.Tsih);
        await session.AddConnectionsAsync(generation, cancellationToken).ConfigureAwait(false);
        return session;
    }

    /// <summary>
    /// RFC 7143 §11.12.5: ISID type 0x80 ("random") in the top two bits of the first byte, then a
    /// random 22-bit A/B and a random qualifier.
    /// </summary>
    private static ulong RandomIsid()
    {
        Span<byte> bytes = stackalloc byte[6];
        RandomNumberGenerator.Fill(bytes);
        bytes[0] = (byte)(0x80 | (bytes[0] & 0x3F));
        ulong isid = 0;
        foreach (byte b in bytes)
        {
            isid = (isid << 8) | b;
        }

        return isid;
    }

    /// <summary>Connects and logs in one connection: the leading one (<paramref name="leading"/> null, TSIH 0), or one more of the session (§6.3.1).</summary>
    /// <param name="cid">The connection's CID.</param>
    /// <param name="leading">For an added connection: the session's negotiated values (its TSIH goes in the login).</param>
    private async Task<(InitiatorConnection Connection, LoginOutcome Login)> ConnectAndLoginAsync(ushort cid, IscsiSessionParameters? leading, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.LoginTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token, _disposed.Token);
        IInitiatorDataMover mover = await _connector.ConnectAsync(_portal, linked.Token).ConfigureAwait(false);
        var connection = new InitiatorConnection(mover, cid);
        try
        {
            uint cmdSN;
            lock (_lock)
            {
                cmdSN = _cmdSN;
            }

            LoginOutcome outcome;
            try
            {
                outcome = await LoginExchange.RunAsync(connection.Channel, mover.Capabilities, _options, SessionType.Normal, Isid, cmdSN, linked.Token,
                    leading is null ? (ushort)0 : Tsih, cid, leading).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new IscsiConnectionException($"The login did not complete within {_options.LoginTimeout.TotalSeconds:0.#} s.");
            }

            if (leading is not null)
            {
                // The session's values stay the leading login's; the window only moves forward (§4.2.2.1).
                lock (_lock)
                {
                    UpdateWindowLocked(outcome.ExpCmdSN, outcome.MaxCmdSN);
                }

                return (connection, outcome);
            }

            Tsih = outcome.Tsih;
            TargetAlias = outcome.TargetAlias;
            Authentication = outcome.Authentication;
            lock (_lock)
            {
                _parameters = outcome.Parameters;
                _expCmdSN = outcome.ExpCmdSN;
                _maxCmdSN = outcome.MaxCmdSN;
            }

            return (connection, outcome);
        }
        catch
        {
            await connection.CloseAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Full feature phase on a logged-in leading connection: the session takes its PDUs and sends on it.</summary>
    private void StartConnectionLocked(InitiatorConnection connection, LoginOutcome login)
    {
        _connection = connection;
        _connections = [connection];
        _generation++;
        _logoutConnection = null;
        _state = IscsiSessionState.Running;
        EnableConnectionLocked(connection, login);
    }

    private void EnableConnectionLocked(InitiatorConnection connection, LoginOutcome login)
    {
        connection.Attached = true;
        connection.EnableDatamover(login, _time.GetTimestamp(), this);
        connection.SendLoop = Task.Run(() => SendLoopAsync(connection));
        connection.SendSignal.Set();
    }

    /// <summary>
    /// MC/S (RFC 7143 §6.3.1): after the leading login, logs in connections 1, 2, ... up to
    /// <c>min(Connections, negotiated MaxConnections)</c>, each with the session's ISID and TSIH. A failed one is
    /// not fatal: the session runs with the connections it has. Stops when the session was re-instated meanwhile.
    /// </summary>
    private async Task AddConnectionsAsync(int generation, CancellationToken cancellationToken)
    {
        int wanted;
        IscsiSessionParameters leading;
        lock (_lock)
        {
            wanted = Math.Min(_options.Connections, _parameters.MaxConnections);
            leading = _parameters;
        }

        for (int cid = 1; cid < wanted; cid++)
        {
            try
            {
                (InitiatorConnection connection, LoginOutcome login) = await ConnectAndLoginAsync((ushort)cid, leading, cancellationToken).ConfigureAwait(false);
                bool attached;
                lock (_lock)
                {
                    attached = generation == _generation && _state == IscsiSessionState.Running;
                    if (attached)
                    {
                        _connections = [.. _connections, connection];
                        EnableConnectionLocked(connection, login);
                    }
                }

                if (!attached)
                {
                    await connection.CloseAsync().ConfigureAwait(false);
                    return;
                }

                LogConnectionAdded(_logger, cid, wanted);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or IscsiLoginException or IscsiProtocolException or TimeoutException)
            {
                LogConnectionAddFailed(_logger, cid, e.Message, ConnectionCount);
                return;
            }
        }
    }

    /// <summary>
    /// The connection that should take the next command: the least loaded of those that take commands, or null when
    /// none does. Among equals the search starts one connection further each time, so a light load (ties) rotates
    /// over the connections instead of always landing on the first.
    /// </summary>
    private InitiatorConnection? LeastLoadedLocked()
    {
        InitiatorConnection[] all = _connections;
        if (all.Length == 1)
        {
            return all[0];
        }

        InitiatorConnection? least = null;
        int start = (int)(++_senderRotor % (uint)Math.Max(all.Length, 1));
        for (int i = 0; i < all.Length; i++)
        {
            InitiatorConnection candidate = all[(start + i) % all.Length];
            if (!candidate.IsClosing && !candidate.LogoutRequested && (least is null || candidate.Outstanding < least.Outstanding))
            {
                least = candidate;
            }
        }

        return least;
    }

    /// <summary>
    /// Whether <paramref name="connection"/> takes a new command now: with several connections, only while it carries no
    /// more than the least loaded one (commands spread evenly, §4.2.2); otherwise <paramref name="wake"/> wakes that one.
    /// §11.9.1: once the target asked for a logout, no new command goes on the connection.
    /// </summary>
    private bool TakesNewCommandsLocked(InitiatorConnection connection, bool wake)
    {
        if (connection.LogoutRequested)
        {
            return false;
        }

        if (_connections.Length == 1)
        {
            return true;
        }

        InitiatorConnection? least = LeastLoadedLocked();
        if (least is null || least == connection || connection.Outstanding <= least.Outstanding)
        {
            return true;
        }

        if (wake)
        {
            least.SendSignal.Set();
        }

        return false;
    }

    /// <summary>A command left the wire (answered, rejected, ended by task management): its connection carries one less.</summary>
    private static void ReleaseConnectionLocked(InitiatorCommand command)
    {
        if (command.Connection is { } connection)
        {
            connection.Outstanding--;
            command.Connection = null;
        }
    }

    /// <summary>
    /// Executes one SCSI command. Data-in lands in <paramref name="dataIn"/> (its length is the
    /// expected data transfer length of a read); <paramref name="dataOut"/> is sent for a write.
    /// Cancelling sends ABORT TASK for a command already on the wire.
    /// </summary>
    /// <param name="lun">Logical unit number (0..16383).</param>
    /// <param name="cdb">The CDB, at most 16 bytes.</param>
    /// <param name="dataIn">Buffer for data from the target; empty for none.</param>
    /// <param name="dataOut">Data for the target; empty for none.</param>
    /// <param name="cancellationToken">Aborts the command.</param>
    /// <returns>Status, sense and residual. Only transport failures throw.</returns>
    public ValueTask<ScsiResult> ExecuteAsync(ulong lun, ReadOnlyMemory<byte> cdb, Memory<byte> dataIn, ReadOnlyMemory<byte> dataOut, CancellationToken cancellationToken = default)
        => Submit(lun, cdb.Span, dataIn, dataOut, cancellationToken);

    private ValueTask<ScsiResult> Submit(ulong lun, ReadOnlySpan<byte> cdb, Memory<byte> dataIn, ReadOnlyMemory<byte> dataOut, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<ScsiResult>(cancellationToken);
        }

        InitiatorCommand command = SubmitCore(lun, cdb, dataIn, dataOut, checkStatus: false, cancellationToken, out short version);
        return new ValueTask<ScsiResult>(command, version);
    }

    /// <summary>Queues a command for the sender; the caller awaits it with <paramref name="version"/>.</summary>
    /// <param name="pooledDataInLength">Non-zero for a pooled read: its length, rented when the data arrives (<paramref name="dataIn"/> empty).</param>
    private InitiatorCommand SubmitCore(ulong lun, ReadOnlySpan<byte> cdb, Memory<byte> dataIn, ReadOnlyMemory<byte> dataOut, bool checkStatus, CancellationToken cancellationToken, out short version, int pooledDataInLength = 0)
    {
        if (cdb.Length is 0 or > 16)
        {
            throw new ArgumentException("The CDB must be 1 to 16 bytes long.", nameof(cdb));
        }

        if (lun > ScsiTargetDevice.MaxLun)
        {
            throw new ArgumentOutOfRangeException(nameof(lun), "A LUN is 0 to 16383.");
        }

        if (!dataIn.IsEmpty && !dataOut.IsEmpty)
        {
            throw new NotSupportedException("Bidirectional commands are not supported.");
        }

        InitiatorCommand command;
        InitiatorConnection? sender;
        lock (_lock)
        {
            ThrowIfNotAcceptingLocked();
            command = RentLocked(CommandKind.Scsi);
            command.LunField = ScsiTargetDevice.EncodeLun((int)lun);
            cdb.CopyTo(command.Cdb);
            command.DataBuffer = dataIn;
            command.DataInLength = pooledDataInLength > 0 ? pooledDataInLength : dataIn.Length;
            command.RentsDataIn = pooledDataInLength > 0;
            command.WriteData = dataOut;
            command.CheckStatus = checkStatus;
            command.SubmitSequence = _nextSubmitSequence++;
            if (cancellationToken.CanBeCanceled)
            {
                // Registered before the command is queued: registering after releasing the lock raced
                // with a fast completion, which then left the registration on a pooled command. A
                // callback that runs right here sees the command Idle and does nothing; the sender
                // still sees the token cancelled and completes the command as cancelled.
                command.CancellationToken = cancellationToken;
                command.Registration = cancellationToken.UnsafeRegister(static state => ((InitiatorCommand)state!).Owner.OnCommandCanceled((InitiatorCommand)state!), command);
            }

            command.State = CommandState.Pending;
            _pending.Enqueue(command);
            version = command.Version;
            sender = _connections.Length == 1 ? _connection : LeastLoadedLocked();
        }

        // From a continuation on our receive loop (InlineCompletions) the command goes out after the loop's batch.
        WakeSender(sender);
        return command;
    }

    private void ThrowIfNotAcceptingLocked()
    {
        switch (_state)
        {
            case IscsiSessionState.Running or IscsiSessionState.Recovering:
                return;
            case IscsiSessionState.Failed:
                throw new IscsiConnectionException("The iSCSI session failed: " + _failure?.Message, _failure);
            default:
                throw new ObjectDisposedException(nameof(IscsiSession), "The iSCSI session is closed.");
        }
    }

    private InitiatorCommand RentLocked(CommandKind kind)
    {
        InitiatorCommand command = _pool.Count > 0 ? _pool.Pop() : new InitiatorCommand(this, _options.InlineCompletions);
        command.Prepare(kind);
        return command;
    }

    internal void ReturnToPool(InitiatorCommand command)
    {
        lock (_lock)
        {
            command.State = CommandState.Idle;
            command.ReturnRentedDataIn();
            command.DataBuffer = default;
            command.WriteData = default;
            command.Detached = null;
            if (_pool.Count < MaxPooled)
            {
                _pool.Push(command);
            }
        }
    }

    /// <summary>Allocates an ITT not in use (0xffffffff is reserved, RFC 7143 §11.2.1.8).</summary>
    private uint AllocateIttLocked()
    {
        while (true)
        {
            uint itt = _nextItt++;
            if (itt != Bhs.ReservedTag && !_active.ContainsKey(itt))
            {
                return itt;
            }
        }
    }

    /// <summary>
    /// Completes a command that has left every queue and the ITT table. Never under the lock. A
    /// <see cref="InitiatorCommand.CheckStatus"/> command that got UNIT ATTENTION goes back to the queue
    /// (up to <see cref="UnitAttentionRetries"/> times); any other status but GOOD fails it with
    /// <see cref="ScsiCommandException"/>.
    /// </summary>
    private static void Complete(InitiatorCommand command, in ScsiResult result, Exception? error)
    {
        if (error is null && result.Response == 0 && result.Status == ScsiStatus.CheckCondition
            && command.Owner.UnitAttention is { } handler && result.TryDecodeSense(out SenseKey key, out byte asc, out byte ascq) && key == SenseKey.UnitAttention
            && ScsiTargetDevice.TryDecodeLun(command.LunField, out int lun))
        {
            handler((ulong)lun, asc, ascq);
        }

        if (command.CheckStatus && error is null && !result.IsGood)
        {
            if (ShouldRetry(result, command.Attempts) && command.Owner.TryResubmit(command))
            {
                return;
            }

            error = new ScsiCommandException(result);
        }

        command.Registration.Dispose();
        command.Registration = default;
        if (error is not null)
        {
            command.SetException(error);
        }
        else
        {
            command.SetResult(result);
        }
    }

    /// <summary>Queues a finished command again (same buffers, same cancellation); false when the session no longer takes commands.</summary>
    private bool TryResubmit(InitiatorCommand command)
    {
        lock (_lock)
        {
            if (_state is not (IscsiSessionState.Running or IscsiSessionState.Recovering))
            {
                return false;
            }

            command.Attempts++;
            command.FailOnReissue = false;
            command.Itt = Bhs.ReservedTag;
            command.SubmitSequence = _nextSubmitSequence++;
            command.State = CommandState.Pending;
            _pending.Enqueue(command);
            LeastLoadedLocked()?.SendSignal.Set();
        }

        return true;
    }

    /// <summary>Logs out (RFC 7143 §11.14, close the session) after outstanding commands finish, and closes the connection.</summary>
    /// <param name="cancellationToken">Stops waiting; the connection is closed anyway.</param>
    public async Task LogoutAsync(CancellationToken cancellationToken = default)
    {
        InitiatorConnection? connection;
        lock (_lock)
        {
            if (_state is IscsiSessionState.Closed or IscsiSessionState.Failed or IscsiSessionState.Closing)
            {
                return;
            }

            _state = _state == IscsiSessionState.Running ? IscsiSessionState.Closing : IscsiSessionState.Closed;
            connection = _connection;
            _logoutConnection = connection;
        }

        try
        {
            if (connection is not null)
            {
                await DrainAsync(cancellationToken).ConfigureAwait(false);
                InitiatorCommand logout;
                lock (_lock)
                {
                    logout = RentLocked(CommandKind.Logout);
                    logout.Itt = AllocateIttLocked();
                    logout.State = CommandState.Pending;

                    // RFC 7143 §11.14.1: one Logout (close the session) on one connection; the target closes the others.
                    connection.Controls.Enqueue(logout);
                }

                connection.SendSignal.Set();
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                await new ValueTask<ScsiResult>(logout, logout.Version).AsTask().WaitAsync(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or TimeoutException)
        {
            LogLogoutFailed(_logger, e.Message);
        }
        finally
        {
            await ShutdownAsync(new ObjectDisposedException(nameof(IscsiSession), "The iSCSI session was logged out.")).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Logs out one connection of a session of several (RFC 7143 §11.14, reason 1 "close the connection") and keeps the
    /// session on the others: the connection takes no new command, its own finish (allegiance, §7: at ERL 0 they
    /// cannot move), then its Logout goes on it and, answered, it closes. A failure re-opens the session as a lost
    /// connection would.
    /// </summary>
    /// <param name="cid">The connection's CID (0 is the leading connection).</param>
    /// <param name="cancellationToken">Stops waiting; the session is then re-opened, as after a lost connection.</param>
    /// <exception cref="InvalidOperationException">No such connection, or it is the session's last: use <see cref="LogoutAsync"/>.</exception>
    public async Task LogoutConnectionAsync(ushort cid, CancellationToken cancellationToken = default)
    {
        InitiatorConnection? connection = null;
        lock (_lock)
        {
            foreach (InitiatorConnection candidate in _connections)
            {
                if (candidate.Cid == cid && !candidate.IsClosing)
                {
                    connection = candidate;
                }
            }

            if (_state != IscsiSessionState.Running || connection is null)
            {
                throw new InvalidOperationException($"The session has no running connection CID {cid}.");
            }

            if (_connections.Length == 1)
            {
                throw new InvalidOperationException("That is the session's only connection: log the session out (LogoutAsync).");
            }

            // §11.9.1's rule for a connection being logged out: no new command on it; the others take them.
            connection.LogoutRequested = true;
            LeastLoadedLocked()?.SendSignal.Set();
        }

        InitiatorCommand? logout = null;
        try
        {
            long started = _time.GetTimestamp();
            while (true)
            {
                lock (_lock)
                {
                    if (!connection.Attached || _state != IscsiSessionState.Running)
                    {
                        return; // the session was re-opened meanwhile (without this connection's old self)
                    }

                    if (connection.Outstanding == 0)
                    {
                        logout = RentLocked(CommandKind.Logout);
                        logout.Itt = AllocateIttLocked();
                        logout.LogoutReason = LogoutReason.CloseConnection;
                        logout.LogoutCid = cid;
                        logout.State = CommandState.Pending;
                        connection.Controls.Enqueue(logout);
                        break;
                    }
                }

                if (_time.GetElapsedTime(started) > TimeSpan.FromSeconds(30))
                {
                    throw new TimeoutException($"The commands on connection CID {cid} did not finish within 30 s.");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(5), _time, cancellationToken).ConfigureAwait(false);
            }

            connection.SendSignal.Set();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            ScsiResult result = await new ValueTask<ScsiResult>(logout, logout.Version).AsTask().WaitAsync(timeout.Token).ConfigureAwait(false);
            if ((LogoutResponse)result.Response != LogoutResponse.ClosedSuccessfully)
            {
                throw new IscsiProtocolException($"The target answered the Logout of connection CID {cid} with {(LogoutResponse)result.Response}.");
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or TimeoutException or IscsiProtocolException)
        {
            LogLogoutFailed(_logger, e.Message);
            OnConnectionFailed(connection, e);
            throw;
        }

        // Answered: the connection is closing (HandleLogoutResponse began it); the session goes on without it.
        lock (_lock)
        {
            if (connection.Attached)
            {
                connection.Attached = false;
                var remaining = new InitiatorConnection[_connections.Length - 1];
                int i = 0;
                foreach (InitiatorConnection each in _connections)
                {
                    if (each != connection)
                    {
                        remaining[i++] = each;
                    }
                }

                _connections = remaining;
                if (_connection == connection)
                {
                    _connection = remaining[0];
                }
            }
        }

        await connection.CloseAsync().ConfigureAwait(false);
        LogConnectionLoggedOut(_logger, cid, ConnectionCount);
    }

    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        long deadline = _time.GetTimestamp();
        while (true)
        {
            lock (_lock)
            {
                bool busy = _pending.Count > 0;
                foreach (InitiatorCommand command in _active.Values)
                {
                    busy |= command.Kind == CommandKind.Scsi;
                }

                if (!busy || _state != IscsiSessionState.Closing)
                {
                    return;
                }
            }

            if (_time.GetElapsedTime(deadline) > TimeSpan.FromSeconds(30))
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Ends the session: stops timers and recovery, closes the connection, fails whatever is left.</summary>
    private async Task ShutdownAsync(Exception reason)
    {
        InitiatorConnection[] connections;
        lock (_lock)
        {
            if (_state != IscsiSessionState.Failed)
            {
                _state = IscsiSessionState.Closed;
            }

            connections = DetachAllLocked();
        }

        if (!_disposed.IsCancellationRequested)
        {
            await _disposed.CancelAsync().ConfigureAwait(false);
        }

        await CloseAllAsync(connections).ConfigureAwait(false);

        try
        {
            await Task.WhenAll(_watchdog, _recovery).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        FailAll(reason);
    }

    /// <summary>Takes every connection out of the session (they take no more work) and starts closing them.</summary>
    private InitiatorConnection[] DetachAllLocked()
    {
        InitiatorConnection[] connections = _connections;
        _connections = [];
        _connection = null;
        foreach (InitiatorConnection connection in connections)
        {
            connection.Attached = false;
            connection.BeginClose();
            connection.NopReplies.Clear();

            // A Logout still waiting for its connection fails or is dropped with the other immediate requests.
            while (connection.Controls.Count > 0)
            {
                _immediate.Enqueue(connection.Controls.Dequeue());
            }
        }

        return connections;
    }

    private static async Task CloseAllAsync(InitiatorConnection[] connections)
    {
        foreach (InitiatorConnection connection in connections)
        {
            await connection.CloseAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Fails every command still queued or in the ITT table.</summary>
    private void FailAll(Exception reason)
    {
        List<InitiatorCommand> failed = new();
        lock (_lock)
        {
            foreach (InitiatorCommand command in _active.Values)
            {
                failed.Add(command);
            }

            _active.Clear();
            foreach (List<InitiatorCommand> orphans in _lastDetached.Values)
            {
                foreach (InitiatorCommand command in orphans)
                {
                    if (command.State == CommandState.Detached)
                    {
                        failed.Add(command);
                    }
                }
            }

            _lastDetached.Clear();
            failed.AddRange(_pending);
            failed.AddRange(_immediate);
            _pending.Clear();
            _immediate.Clear();
            foreach (InitiatorCommand command in failed)
            {
                command.State = CommandState.Done;
                command.Connection = null;
            }
        }

        foreach (InitiatorCommand command in failed)
        {
            Complete(command, default, reason);
        }
    }

    /// <summary>Logs out if still logged in, then releases everything.</summary>
    public async ValueTask DisposeAsync()
    {
        IscsiSessionState state = State;
        if (state == IscsiSessionState.Running)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await LogoutAsync(timeout.Token).ConfigureAwait(false);
        }
        else
        {
            await ShutdownAsync(new ObjectDisposedException(nameof(IscsiSession), "The iSCSI session was disposed.")).ConfigureAwait(false);
        }

        _disposed.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Logged in to {Target} (ISID {Isid:x12}, TSIH {Tsih})")]
    private static partial void LogLoggedIn(ILogger logger, string target, ulong isid, ushort tsih);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection CID {Cid} added to the session ({Wanted} wanted)")]
    private static partial void LogConnectionAdded(ILogger logger, int cid, int wanted);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not add connection CID {Cid}: {Message}; the session runs with {Count} connection(s)")]
    private static partial void LogConnectionAddFailed(ILogger logger, int cid, string message, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection CID {Cid} logged out; the session goes on with {Count} connection(s)")]
    private static partial void LogConnectionLoggedOut(ILogger logger, int cid, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Logout did not complete cleanly: {Message}")]
    private static partial void LogLogoutFailed(ILogger logger, string message);
}
