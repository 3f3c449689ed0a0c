namespace NetScsi.Iscsi.Target;

/// <summary>
/// How long an accept loop waits after a failed accept: 10 ms doubling to 1 s, back to nothing after a success.
/// When the process is out of descriptors (EMFILE/ENFILE) or socket buffers (ENOBUFS) the pending connection
/// stays queued and every retry fails at once; without a pause the loop spins a core and floods the log.
/// </summary>
internal struct AcceptBackoff
{
    public static readonly TimeSpan First = TimeSpan.FromMilliseconds(10);

    public static readonly TimeSpan Max = TimeSpan.FromSeconds(1);

    private TimeSpan _next;

    /// <summary>The pause before the next accept, after a failure.</summary>
    public TimeSpan Fail()
    {
        _next = _next == TimeSpan.Zero ? First : TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, Max.Ticks));
        return _next;
    }

    /// <summary>True when this is the first failure of a run (log it; the repeats only count).</summary>
    public readonly bool IsFirstFailure => _next == First;

    public void Succeed() => _next = TimeSpan.Zero;
}
