using System.Threading.Tasks.Sources;

namespace NetScsi.Transport.Aoe.Client;

/// <summary>
/// One caller's I/O, split into frames by the poller; pooled and awaited as a <see cref="ValueTask"/> so that the
/// steady state allocates nothing. The poller thread alone touches the frame bookkeeping.
/// </summary>
internal sealed class AoeIoOperation : IValueTaskSource
{
    private readonly AoeDevice _owner;
    private ManualResetValueTaskSourceCore<bool> _core;
    private CancellationTokenRegistration _registration;
    private int _cancelRequested;

    public AoeIoOperation(AoeDevice owner, bool inlineCompletions)
    {
        _owner = owner;
        _core.RunContinuationsAsynchronously = !inlineCompletions;
    }

    public AoeOperationKind Kind { get; private set; }

    public ulong Lba { get; private set; }

    /// <summary>Frame units: sectors for a read or write, 1 for the others.</summary>
    public int Units { get; private set; }

    /// <summary>Where read data lands or write data comes from (a write's memory is never written).</summary>
    public Memory<byte> Buffer { get; private set; }

    /// <summary>The next unit to send (poller only).</summary>
    public int NextUnit { get; set; }

    /// <summary>Frames sent and not yet answered or given up (poller only).</summary>
    public int Outstanding { get; set; }

    public Exception? Error { get; private set; }

    public short Version => _core.Version;

    /// <summary>The caller's token; cancelling it abandons the frames in flight (see <see cref="AoeDevice"/>).</summary>
    public CancellationToken CancellationToken { get; private set; }

    /// <summary>The caller cancelled: the poller abandons the I/O at its next turn.</summary>
    public bool CancelRequested => Volatile.Read(ref _cancelRequested) != 0;

    /// <summary>True when every unit has been handed to a frame, or the I/O failed and sends no more.</summary>
    public bool FullySubmitted => NextUnit >= Units;

    public void Start(AoeOperationKind kind, ulong lba, int units, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        Kind = kind;
        Lba = lba;
        Units = units;
        Buffer = buffer;
        NextUnit = 0;
        Outstanding = 0;
        Error = null;
        _cancelRequested = 0;
        CancellationToken = cancellationToken;
        if (cancellationToken.CanBeCanceled)
        {
            // Only a token that can be cancelled costs a registration: the steady state without one allocates nothing.
            _registration = cancellationToken.UnsafeRegister(static state => ((AoeIoOperation)state!).OnCanceled(), this);
        }
    }

    private void OnCanceled()
    {
        Volatile.Write(ref _cancelRequested, 1);
        _owner.OnOperationCanceled();
    }

    /// <summary>Records the first failure and stops further frames of this I/O.</summary>
    public void Fail(Exception error)
    {
        Error ??= error;
        NextUnit = Units;
    }

    public void Complete()
    {
        // Waits for a cancellation callback that is running, so none reaches this instance once it is pooled again.
        _registration.Dispose();
        _registration = default;
        CancellationToken = default;
        if (Error is null)
        {
            _core.SetResult(true);
        }
        else
        {
            _core.SetException(Error);
        }
    }

    public void GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            Buffer = default;
            Error = null;
            _core.Reset();
            _owner.Return(this);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
