using System.Buffers;
using System.Threading.Tasks.Sources;
using NetScsi.Scsi;

namespace NetScsi.Iscsi.Target;

/// <summary>
/// One SCSI command in a session: the <see cref="ScsiTask"/> handed to the logical unit, its data
/// buffer, and the Data-Out/R2T bookkeeping of RFC 7143 §11.7–11.8. Pooled per session.
/// <para>
/// Each instance runs one long-lived worker loop (<see cref="RunAsync"/>) that waits until the
/// command is ready, executes it and sends the response. The loop's state machine is created once,
/// so executing a command allocates nothing.
/// </para>
/// </summary>
internal sealed class TargetCommand : IValueTaskSource<bool>
{
    /// <summary>Most R2Ts we ever have outstanding for one command (our MaxOutstandingR2T offer is capped to this).</summary>
    public const int MaxR2Ts = 16;

    private readonly TargetSession _session;
    private ManualResetValueTaskSourceCore<bool> _ready = new() { RunContinuationsAsynchronously = true };
    private readonly R2TState[] _r2ts = new R2TState[MaxR2Ts];
    private readonly SendLock.Waiter _sendWaiter = new();
    private byte[]? _buffer;
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

    public uint InitiatorTaskTag { get; private set; }

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

    /// <summary>The transport already decided the status (a refused command): skip the logical unit.</summary>
    public bool RunWithoutExecution;

    /// <summary>Write data expected in total (EDTL for writes).</summary>
    public int ExpectedWriteLength { get; private set; }

    /// <summary>Write data received so far.</summary>
    public int ReceivedLength { get; private set; }

    /// <summary>End of the unsolicited region (immediate + unsolicited Data-Out).</summary>
    public int UnsolicitedEnd { get; private set; }

    /// <summary>Next offset an R2T will ask for.</summary>
    public int NextR2TOffset { get; private set; }

    public uint NextR2TSN { get; private set; }

    /// <summary>Next DataSN expected in the unsolicited Data-Out sequence.</summary>
    public uint NextUnsolicitedDataSN { get; set; }

    public int OutstandingR2Ts { get; private set; }

    /// <summary>True between arrival and the moment the command is handed to the worker.</summary>
    public bool WaitingForData { get; private set; }

    public Memory<byte> Buffer => _buffer is null ? Memory<byte>.Empty : _buffer.AsMemory(0, Task.ExpectedDataTransferLength);

    /// <summary>Prepares a pooled instance for a new command; rents its data buffer.</summary>
    public void Begin(uint itt, uint cmdSN, int bufferLength)
    {
        InitiatorTaskTag = itt;
        CmdSN = cmdSN;
        _state = StateActive;
        RunWithoutExecution = false;
        ReceivedLength = 0;
        ExpectedWriteLength = 0;
        UnsolicitedEnd = 0;
        NextR2TOffset = 0;
        NextR2TSN = 0;
        NextUnsolicitedDataSN = 0;
        OutstandingR2Ts = 0;
        WaitingForData = false;
        if (!Cancellation.TryReset())
        {
            Cancellation.Dispose();
            Cancellation = new CancellationTokenSource();
        }
        _bufferLength = bufferLength;
        if (bufferLength > 0)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(bufferLength);
        }
    }

    /// <summary>Sets up Data-Out reception for a write: what already came as immediate data and where unsolicited data ends.</summary>
    public void ExpectWriteData(int expected, int immediate, int unsolicitedEnd)
    {
        ExpectedWriteLength = expected;
        ReceivedLength = immediate;
        UnsolicitedEnd = unsolicitedEnd;
        NextR2TOffset = unsolicitedEnd;
        WaitingForData = immediate < expected;
    }

    public Span<byte> BufferSpan(int offset, int length) => _buffer.AsSpan(offset, length);

    /// <summary>Records Data-Out bytes at an offset (already copied into the buffer by the caller).</summary>
    public void AddReceived(int length) => ReceivedLength += length;

    public bool AllDataReceived => ReceivedLength >= ExpectedWriteLength;

    public void StopWaitingForData() => WaitingForData = false;

    /// <summary>Allocates an R2T slot for [offset, offset+length) and returns its index, or -1 if none is free.</summary>
    public int AddR2T(uint targetTransferTag, int offset, int length)
    {
        for (int i = 0; i < _r2ts.Length; i++)
        {
            if (!_r2ts[i].InUse)
            {
                _r2ts[i] = new R2TState { InUse = true, TargetTransferTag = targetTransferTag, Offset = offset, Length = length, R2TSN = NextR2TSN };
                NextR2TSN++;
                NextR2TOffset = offset + length;
                OutstandingR2Ts++;
                return i;
            }
        }
        return -1;
    }

    public ref R2TState GetR2T(int index) => ref _r2ts[index];

    public int FindR2T(uint targetTransferTag)
    {
        for (int i = 0; i < _r2ts.Length; i++)
        {
            if (_r2ts[i].InUse && _r2ts[i].TargetTransferTag == targetTransferTag)
            {
                return i;
            }
        }
        return -1;
    }

    public void CompleteR2T(int index)
    {
        _r2ts[index].InUse = false;
        OutstandingR2Ts--;
    }

    public void ClearR2Ts()
    {
        for (int i = 0; i < _r2ts.Length; i++)
        {
            _r2ts[i].InUse = false;
        }
        OutstandingR2Ts = 0;
    }

    /// <summary>Hands the command to its worker loop.</summary>
    public void Start()
    {
        WaitingForData = false;
        _ready.SetResult(true);
    }

    /// <summary>Returns the buffer and how many bytes of the session's budget it held.</summary>
    public int ReleaseBuffer()
    {
        int held = _bufferLength;
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
        _bufferLength = 0;
        Task.Buffer = default;
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

    /// <summary>One outstanding R2T (RFC 7143 §11.8).</summary>
    internal struct R2TState
    {
        public bool InUse;
        public uint TargetTransferTag;
        public uint R2TSN;
        public int Offset;
        public int Length;
        public int Received;
        public uint NextDataSN;
    }
}
