namespace NetScsi.Transport.Aoe.Client;

/// <summary>An AoE I/O that failed: the target refused it (AoE or ATA error), or never answered within the timeout.</summary>
public sealed class AoeException : IOException
{
    public AoeException(string message, bool isTimeout = false)
        : base(message)
    {
        IsTimeout = isTimeout;
    }

    /// <summary>True when the target did not answer (the give-up bound passed).</summary>
    public bool IsTimeout { get; }
}
