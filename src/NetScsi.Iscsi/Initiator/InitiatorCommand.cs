using System.Buffers;
using System.Threading.Tasks.Sources;
using NetScsi.Iscsi.Pdus;
using NetScsi.Transport;

namespace NetScsi.Iscsi.Initiator;

/// <summary>What an <see cref="InitiatorCommand"/> carries.</summary>
internal enum CommandKind
{
    Scsi,
    TaskManagement,
    Logout,
}

/// <summary>Where an <see cref="InitiatorCommand"/> is; changed only under the session lock.</summary>
internal enum CommandState
{
    /// <summary>In the pool.</summary>
    Idle,

    /// <summary>Queued, not on the wire (waiting for the CmdSN window or a connection).</summary>
    Pending,

    /// <summary>Sent; registered under its ITT.</summary>
    Active,

    /// <summary>Taken out of the ITT table by task management; its owner decides: fail or re-issue.</summary>
    Detached,

    /// <summary>Completed (or about to be).</summary>
    Done,
}

/// <summary>
/// One request of a session (SCSI command, task management, logout), pooled. The caller awaits it
/// through <see cref="IValueTaskSource{TResult}"/> (raw result, or the rented buffer of a pooled read) or
/// <see cref="IValueTaskSource"/> (<see cref="CheckStatus"/>: ReadAsync/WriteAsync, which throw unless GOOD);
/// reading the result returns it to the pool, so a command costs no allocation in steady state. As a
/// <see cref="DataTask"/> it carries what the data mover needs: its tag and LUN, where Data-In lands
/// (<see cref="DataTask.DataBuffer"/>), what Data-Out sends (<see cref="DataTask.WriteData"/>).
/// </summary>
internal sealed class InitiatorCommand : DataTask, IValueTaskSource<ScsiResult>, IValueTaskSource<PooledReadBuffer>, IValueTaskSource
{
    private readonly IscsiSession _session;
    private ManualResetValueTaskSourceCore<ScsiResult> _core = new() { RunContinuationsAsynchronously = true };

    private readonly bool _inlineCompletions;

    public InitiatorCommand(IscsiSession session, bool inlineCompletions)
    {
        _session = session;
        _inlineCompletions = inlineCompletions;
    }

    public IscsiSession Owner => _session;

    public CommandKind Kind;
    public CommandState State;
    public Cdb16 Cdb;

    /// <summary>Expected Data-In length: the caller's buffer, or what a pooled read rents when its data arrives.</summary>
    public int DataInLength;

    /// <summary>A pooled read: <see cref="DataTask.DataBuffer"/> is rented from <see cref="ArrayPool{T}.Shared"/> when the first data arrives.</summary>
    public bool RentsDataIn;

    /// <summary>The array a pooled read rented; goes to the caller with the result, else back to the pool with the command.</summary>
    public byte[]? RentedDataIn;

    /// <summary>The Initiator Task Tag while the command is on the wire (<see cref="Bhs.ReservedTag"/> before).</summary>
    public uint Itt
    {
        get => InitiatorTaskTag;
        set => InitiatorTaskTag = value;
    }

    public uint CmdSN;

    /// <summary>
    /// The connection a SCSI command was issued on, while it is: its Data-Out, R2Ts and response belong there (connection
    /// allegiance, RFC 7143 §7). Null when not on the wire.
    /// </summary>
    public InitiatorConnection? Connection;

    /// <summary>Unique per issue (first send and every re-issue): lets late events recognise a stale command.</summary>
    public long IssueId
    {
        get => TransferId;
        set => TransferId = value;
    }

    /// <summary>Submission order, kept across re-issues so recovery re-sends in the original order.</summary>
    public long SubmitSequence;

    public long SentTimestamp;
    public int DataInReceived;
    public bool Escalating;
    public bool FailOnReissue;

    /// <summary>Completion turns a status other than GOOD into <see cref="ScsiCommandException"/> and re-submits on UNIT ATTENTION.</summary>
    public bool CheckStatus;

    /// <summary>How often a <see cref="CheckStatus"/> command was re-submitted after UNIT ATTENTION.</summary>
    public int Attempts;
    public CancellationToken CancellationToken;
    public CancellationTokenRegistration Registration;

    // Task management.
    public Pdus.TaskManagementFunction Function;
    public uint ReferencedTag;
    public uint RefCmdSN;
    public List<InitiatorCommand>? Detached;

    // Logout (RFC 7143 §11.14.1): close the session, or close the connection with this CID.
    public LogoutReason LogoutReason;
    public ushort LogoutCid;

    public short Version => _core.Version;

    public void Prepare(CommandKind kind)
    {
        // IscsiSessionOptions.InlineCompletions: the caller's continuation of a SCSI command runs on the
        // receive loop; task management and logout are awaited by the session itself, always async.
        _core.RunContinuationsAsynchronously = !(_inlineCompletions && kind == CommandKind.Scsi);
        Kind = kind;
        State = CommandState.Idle;
        LunField = 0;
        Cdb = default;
        DataBuffer = default;
        DataInLength = 0;
        RentsDataIn = false;
        WriteData = default;
        Itt = Bhs.ReservedTag;
        CmdSN = 0;
        Connection = null;
        IssueId = 0;
        SentTimestamp = 0;
        DataInReceived = 0;
        Escalating = false;
        FailOnReissue = false;
        CheckStatus = false;
        Attempts = 0;
        CancellationToken = default;
        Registration = default;
        Function = 0;
        ReferencedTag = Bhs.ReservedTag;
        RefCmdSN = 0;
        Detached = null;
        LogoutReason = LogoutReason.CloseSession;
        LogoutCid = 0;
    }

    /// <inheritdoc/>
    /// <remarks>Solicited data is sent only for the issue the target asked it of, while it is on the wire.</remarks>
    protected override bool IsCurrentTransfer(long transferId) => State == CommandState.Active && IssueId == transferId;

    public void SetResult(in ScsiResult result) => _core.SetResult(result);

    /// <summary>
    /// The first Data-In of a pooled read: rents its buffer now rather than at submission, so that with many reads
    /// outstanding the data lands in the array the last completed read just gave back, still in the CPU's cache.
    /// </summary>
    public void RentDataInIfPooled()
    {
        if (RentsDataIn && RentedDataIn is null)
        {
            RentedDataIn = ArrayPool<byte>.Shared.Rent(DataInLength);
            DataBuffer = RentedDataIn.AsMemory(0, DataInLength);
        }
    }

    /// <summary>Gives a pooled read's array back (the command failed, or is going back to the pool unclaimed).</summary>
    public void ReturnRentedDataIn()
    {
        if (RentedDataIn is not null)
        {
            ArrayPool<byte>.Shared.Return(RentedDataIn);
            RentedDataIn = null;
            DataBuffer = default;
        }
    }

    public void SetException(Exception error) => _core.SetException(error);

    ScsiResult IValueTaskSource<ScsiResult>.GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            _session.ReturnToPool(this);
        }
    }

    PooledReadBuffer IValueTaskSource<PooledReadBuffer>.GetResult(short token)
    {
        try
        {
            _core.GetResult(token);

            // The bytes the target sent: all of them, or fewer when it reported an underflow.
            var buffer = new PooledReadBuffer(RentedDataIn, DataInReceived);
            RentedDataIn = null;
            return buffer;
        }
        finally
        {
            _core.Reset();
            _session.ReturnToPool(this);
        }
    }

    void IValueTaskSource.GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            _session.ReturnToPool(this);
        }
    }

    ValueTaskSourceStatus IValueTaskSource<ScsiResult>.GetStatus(short token) => _core.GetStatus(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    ValueTaskSourceStatus IValueTaskSource<PooledReadBuffer>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);

    void IValueTaskSource<PooledReadBuffer>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);

    void IValueTaskSource<ScsiResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
