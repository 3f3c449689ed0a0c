using System.Threading.Tasks.Sources;
using NetScsi.Scsi;
using NetScsi.Transport;

namespace NetScsi.Iscsi.Target;

/// <summary>
/// One SCSI command in a session: the <see cref="ScsiTask"/> handed to the logical unit and its data buffer, and, as a
/// <see cref="DataTask"/>, what the data mover needs to move its data. Pooled per session.
/// <para>
/// Each instance runs one long-lived worker loop (<see cref="RunAsync"/>) that waits until the
/// command is ready, executes it and sends the response. The loop's state machine is created once,
/// so executing a command allocates nothing.
/// </para>
/// </summary>
internal sealed class TargetCommand : DataTask, IValueTaskSource<bool>
{
    private readonly TargetSession _session;
    private ManualResetValueTaskSourceCore<bool> _ready = new() { RunContinuationsAsynchronously = true };
    private readonly SendLock.Waiter _sendWaiter = new();
    private byte[]? _buffer;
    private DataBufferPool? _pool;
    private int _bufferLength;

    public TargetCommand(TargetSession session)
    {
        _session = session;
        Task = new ScsiTask();
        Cancellation = new CancellationTokenSource();
        _ = RunAsync();
    }

    public ScsiTask Task { get; }

    public CancellationTokenSource Cancellation { get; private set; }

    public uint CmdSN { get; private set; }

    public ulong Lun => Task.Lun;

    private const int StateActive = 0;
    private const int StateAborted = 1;
    private const int StateCompleting = 2;

    /// <summary>Active → Aborted (task management) or Active → Completing (response about to go out); never both.</summary>
    private int _state;

    private TaskCompletionSource? _finished;

    /// <summary>Set by task management: the command's response is suppressed.</summary>
    public bool Aborted => Volatile.Read(ref _state) == StateAborted;

    /// <summary>Claims the command for task management; false if its response is already on its way.</summary>
    public bool TryAbort() => Interlocked.CompareExchange(ref _state, StateAborted, StateActive) == StateActive;

    /// <summary>Claims the command for its response; false if it was aborted.</summary>
    public bool TryBeginCompletion() => Interlocked.CompareExchange(ref _state, StateCompleting, StateActive) == StateActive;

    /// <summary>Completes when the command has left the session (only created for task management waits).</summary>
    public Task WhenFinished()
    {
        _finished ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _finished.Task;
    }

    /// <summary>Signals <see cref="WhenFinished"/> waiters; called by the session under its lock.</summary>
    public void SignalFinished()
    {
        _finished?.TrySetResult();
        _finished = null;
    }

    /// <summary>
    /// Received ahead of a CmdSN hole (RFC 7143 §3.2.2.1): it takes its data but may not run until ExpCmdSN reaches
    /// it. Set when the command begins, cleared under the session lock.
    /// </summary>
    public bool Held;

    /// <summary>Sent with the I bit (RFC 7143 §3.2.2.1): it used no slot of the CmdSN window, so it slides none.</summary>
    public bool Immediate;

    /// <summary>Its data is all in while it was held: the session starts it when it is released.</summary>
    public bool StartWhenReleased;

    /// <summary>The transport already decided the status (a refused command): skip the logical unit.</summary>
    public bool RunWithoutExecution;

    /// <summary>
    /// The connection the command arrived on (RFC 7143 §7.1.2, connection allegiance): its Data-Out, R2Ts and response
    /// go on it and no other.
    /// </summary>
    public TargetConnection? Connection;

    public Memory<byte> Buffer => _buffer is null ? Memory<byte>.Empty : _buffer.AsMemory(0, Task.ExpectedDataTransferLength);

    /// <summary>Prepares a pooled instance for a new command; rents its data buffer from the connection's mover.</summary>
    public void Begin(TargetConnection connection, uint itt, uint cmdSN, int bufferLength, DataBufferPool pool)
    {
        Connection = connection;
        InitiatorTaskTag = itt;
        CmdSN = cmdSN;
        _state = StateActive;
        RunWithoutExecution = false;
        Held = false;
        StartWhenReleased = false;
        DataBuffer = default;
        if (!Cancellation.TryReset())
        {
            Cancellation.Dispose();
            Cancellation = new CancellationTokenSource();
        }
        _bufferLength = bufferLength;
        if (bufferLength > 0)
        {
            _pool = pool;
            _buffer = pool.Rent(bufferLength);
        }
    }

    /// <summary>Hands the command to its worker loop once its CmdSN is reached (see <see cref="TargetSession.StartInOrder"/>).</summary>
    public void StartInOrder() => _session.StartInOrder(this);

    /// <summary>Hands the command to its worker loop.</summary>
    public void Start() => _ready.SetResult(true);

    /// <summary>Returns the buffer and how many bytes of the session's budget it held.</summary>
    public int ReleaseBuffer()
    {
        int held = _bufferLength;
        if (_buffer is not null)
        {
            _pool!.Return(_buffer);
            _buffer = null;
            _pool = null;
        }
        _bufferLength = 0;
        Task.Buffer = default;
        DataBuffer = default;
        // A read whose data stayed in its file leaves the unit's task set only now, sent or not.
        Task.ReleaseDataIn();
        return held;
    }

    /// <summary>Ends the worker loop (session teardown).</summary>
    public void Retire() => _ready.SetResult(false);

    private async Task RunAsync()
    {
        while (await new ValueTask<bool>(this, _ready.Version).ConfigureAwait(false))
        {
            var connection = await _session.ExecuteAsync(this).ConfigureAwait(false);
            if (connection is not null)
            {
                // Queuing for the send lock happens here, in this long-lived state machine with this
                // command's reusable waiter: with several commands completing at once, waiting inside
                // a pooled async method instead rented more boxes than the builder's per-thread and
                // per-core caches hold, and SemaphoreSlim allocated a Task per queued waiter.
                await connection.WaitForSendLockAsync(_sendWaiter).ConfigureAwait(false);
                await connection.SendScsiResultAsync(this).ConfigureAwait(false);
            }
            _session.Finish(this, slideWindow: true);
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        bool result = _ready.GetResult(token);
        _ready.Reset();
        return result;
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _ready.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _ready.OnCompleted(continuation, state, token, flags);
}
