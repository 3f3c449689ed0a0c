using NetScsi.Transport.Aoe.Ata;

namespace NetScsi.Transport.Aoe.Client;

/// <summary>An AoE I/O that failed: the target refused it (AoE or ATA error), or never answered within the timeout.</summary>
public sealed class AoeException : IOException
{
    public AoeException(string message, bool isTimeout = false, AtaError? ataError = null)
        : base(message)
    {
        IsTimeout = isTimeout;
        AtaError = ataError;
    }

    /// <summary>True when the target did not answer (the give-up bound passed).</summary>
    public bool IsTimeout { get; }

    /// <summary>
    /// The device's ATA Error register when it failed the command (status ERR or DF): <see cref="Ata.AtaError.Abort"/>
    /// for a command it does not support. Null for an AoE error, a timeout or a malformed reply.
    /// </summary>
    public AtaError? AtaError { get; }
}
