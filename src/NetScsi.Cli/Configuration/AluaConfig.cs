using NetScsi.Scsi.Alua;

namespace NetScsi.Cli.Configuration;

/// <summary>One target port group as <c>--tpg</c> / <c>--peer-tpg</c> give it: <c>N[=STATE]</c>.</summary>
internal sealed record TpgSpec(ushort Id, AsymmetricAccessState? State);

/// <summary>
/// ALUA for every LUN this gateway serves (docs/config.md, "ALUA"): this gateway's target port group (which is also its
/// target portal group tag and relative target port), the other gateways' groups, and whether the states follow the
/// RBD exclusive lock.
/// </summary>
internal sealed class AluaConfig
{
    /// <summary>This gateway's group; null when only peers or follow-lock were given (an error).</summary>
    public TpgSpec? Local { get; set; }

    /// <summary>The other gateways' groups, in the order given.</summary>
    public List<TpgSpec> Peers { get; } = new();

    /// <summary>States follow RBD exclusive-lock ownership (implicit ALUA only).</summary>
    public bool FollowLock { get; set; }

    /// <summary>
    /// This gateway's state: the one given, else active/optimized; with follow-lock, the state while not owning the lock,
    /// default standby (a gateway without the lock cannot write, so active/non-optimized would promise too much).
    /// </summary>
    public AsymmetricAccessState LocalState =>
        Local?.State ?? (FollowLock ? AsymmetricAccessState.Standby : AsymmetricAccessState.ActiveOptimized);

    /// <summary>A peer's state: the one given, else active/non-optimized (standby with follow-lock: its state while not owning the lock).</summary>
    public AsymmetricAccessState PeerState(TpgSpec peer) =>
        peer.State ?? (FollowLock ? AsymmetricAccessState.Standby : AsymmetricAccessState.ActiveNonOptimized);
}
