namespace NetScsi.Transport.Aoe.Client;

/// <summary>What to do with a frame whose reply is overdue.</summary>
internal enum AoeTimeoutAction
{
    /// <summary>Send it again (same tag); its timer was doubled.</summary>
    Retransmit,

    /// <summary>The give-up bound has passed: the slot is free and its I/O fails.</summary>
    GiveUp,
}
