namespace NetScsi.Transport.Aoe.Client;

/// <summary>
/// How many frames a client keeps in flight: at most the target's buffer count, less after loss. A timed-out frame
/// means a full buffer or a lossy link somewhere between us and the target, and sending as much again only loses more;
/// so, as TCP and the Linux aoe driver do, a loss restarts the window from one frame with the threshold at half of what
/// it was, the window then grows by a frame per reply up to the threshold (doubling each round trip) and by a frame
/// per window's worth of replies beyond it. Frames that were already in flight when the window shrank do not shrink it
/// again: one loss episode, one reduction. No I/O and no clock of its own (the caller passes timestamps).
/// </summary>
internal sealed class AoeCongestionWindow
{
    private int _threshold;
    private int _credit;
    private long _reducedAt = long.MinValue;

    /// <param name="maximum">The target's buffer count (or the configured cap): the window never exceeds it.</param>
    public AoeCongestionWindow(int maximum)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maximum);
        Maximum = maximum;
        Current = maximum;
        _threshold = maximum;
    }

    /// <summary>The ceiling.</summary>
    public int Maximum { get; }

    /// <summary>Frames that may be in flight now.</summary>
    public int Current { get; private set; }

    /// <summary>Times a loss shrank the window.</summary>
    public long Reductions { get; private set; }

    /// <summary>A reply arrived: grow by one below the threshold, by one per <see cref="Current"/> replies above it.</summary>
    public void OnReply()
    {
        if (Current >= Maximum)
        {
            return;
        }

        if (Current < _threshold)
        {
            Current++;
            return;
        }

        if (++_credit >= Current)
        {
            _credit = 0;
            Current++;
        }
    }

    /// <summary>
    /// A frame first sent at <paramref name="firstSent"/> timed out at <paramref name="now"/>: unless an earlier loss
    /// already shrank the window after that frame left, the threshold halves and the window restarts from one.
    /// </summary>
    public void OnLoss(long firstSent, long now)
    {
        if (firstSent < _reducedAt)
        {
            return;
        }

        _threshold = Math.Max(1, Current / 2);
        Current = 1;
        _credit = 0;
        _reducedAt = now;
        Reductions++;
    }
}
