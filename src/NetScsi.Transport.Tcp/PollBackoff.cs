namespace NetScsi.Transport.Tcp;

/// <summary>
/// Whether one kind of poll of a connection is worth its CPU: a poll that found what it waited for keeps
/// polling on; one that did not skips the next few chances, twice as many after each miss in a row, so
/// polling a peer slower than the poll soon costs next to nothing, yet is still tried now and then.
/// </summary>
internal struct PollBackoff
{
    /// <summary>Chances skipped after the first poll that found nothing.</summary>
    public const int FirstSkip = 4;

    /// <summary>Most doublings of the skip (4 to 1024).</summary>
    public const int MaxDoublings = 8;

    private int _skip;
    private int _misses;

    /// <summary>True when this chance should poll; false while backing off (and counts the chance).</summary>
    public bool ShouldPoll()
    {
        if (_skip > 0)
        {
            _skip--;
            return false;
        }

        return true;
    }

    /// <summary>What the poll came to.</summary>
    public void Note(bool found)
    {
        if (found)
        {
            _misses = 0;
            return;
        }

        _misses = Math.Min(_misses + 1, MaxDoublings + 1);
        _skip = FirstSkip << (_misses - 1);
    }
}
