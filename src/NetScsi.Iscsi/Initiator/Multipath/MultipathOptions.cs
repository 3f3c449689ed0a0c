namespace NetScsi.Iscsi.Initiator.Multipath;

/// <summary>How a <see cref="MultipathSession"/> watches and replaces its paths.</summary>
public sealed class MultipathOptions
{
    /// <summary>
    /// Each path session's replacement timeout: how long a lost connection is re-tried on its own portal before the
    /// path is declared down and its outstanding commands (whose fate is unknown) are re-issued on another path, once.
    /// Short, because another path is there [default 5 s].
    /// </summary>
    public TimeSpan PathFailTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often every up path's ALUA state is read again in steady state [default 5 s].</summary>
    public TimeSpan StateRefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often states are read while no path is usable, or a path's state is stale [default 250 ms].</summary>
    public TimeSpan FastRefreshInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often a down path is logged in again [default 2 s].</summary>
    public TimeSpan ReconnectInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a command waits for a usable path before it fails [default 30 s].</summary>
    public TimeSpan NoPathTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often one command may be refused for a path's state (NOT READY 04h/0Ah-0Ch) and sent again [default 16].</summary>
    public int MaxStateRefusals { get; set; } = 16;
}
