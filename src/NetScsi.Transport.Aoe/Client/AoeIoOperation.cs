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

    /// <summary>True when every unit has been handed to a frame, or the I/O failed and sends no more.</summary>
    public bool FullySubmitted => NextUnit >= Units;

    public void Start(AoeOperationKind kind, ulong lba, int units, Memory<byte> buffer)
    {
        Kind = kind;
        Lba = lba;
        Units = units;
        Buffer = buffer;
        NextUnit = 0;
        Outstanding = 0;
        Error = null;
    }

    /// <summary>Records the first failure and stops further frames of this I/O.</summary>
    public void Fail(Exception error)
    {
        Error ??= error;
        NextUnit = Units;
    }

    public void Complete()
    {
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
