using System.Runtime.CompilerServices;

namespace NetScsi.Iscsi.Initiator;

/// <summary>
/// Awaits one command at a time and hands its result (or failure) to a callback, without allocating per command: the
/// continuation for pooled command slots that are reused for command after command (IP over SCSI's peer links,
/// messaging's peer channels). Create one per slot; <see cref="Start"/> again only after the callback has run.
/// </summary>
public sealed class ReusableCommandAwaiter
{
    private readonly Action<ScsiResult, Exception?> _onResult;
    private readonly Action _onCompleted;
    private ConfiguredValueTaskAwaitable<ScsiResult>.ConfiguredValueTaskAwaiter _awaiter;

    /// <param name="onResult">Called once per command: its result, or the exception it failed with.</param>
    public ReusableCommandAwaiter(Action<ScsiResult, Exception?> onResult)
    {
        ArgumentNullException.ThrowIfNull(onResult);
        _onResult = onResult;
        _onCompleted = OnCompleted;
    }

    /// <summary>Waits for <paramref name="command"/>; the callback runs inline if it has already completed.</summary>
    public void Start(ValueTask<ScsiResult> command)
    {
        _awaiter = command.ConfigureAwait(false).GetAwaiter();
        if (_awaiter.IsCompleted)
        {
            OnCompleted();
        }
        else
        {
            _awaiter.UnsafeOnCompleted(_onCompleted);
        }
    }

    private void OnCompleted()
    {
        ScsiResult result;
        try
        {
            result = _awaiter.GetResult();
        }
        catch (Exception e)
        {
            _awaiter = default;
            _onResult(default, e);
            return;
        }
        _awaiter = default;
        _onResult(result, null);
    }
}
