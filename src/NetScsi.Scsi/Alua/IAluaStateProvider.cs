namespace NetScsi.Scsi.Alua;

/// <summary>
/// Where a logical unit learns its target port groups and their asymmetric access states (SPC-4 §5.15): what REPORT
/// TARGET PORT GROUPS reports, which commands a port in each state admits, the TPGS bits of INQUIRY, and the target
/// port group designator of VPD page 83h. <see cref="TargetPortGroupRegistry"/> is the implementation; what drives
/// implicit transitions (a storage lock's owner, an operator) calls its <see cref="TargetPortGroupRegistry.SetState"/>.
/// </summary>
public interface IAluaStateProvider
{
    /// <summary>TPGS: implicit and/or explicit transitions (never <see cref="AluaTransitions.None"/>).</summary>
    AluaTransitions Transitions { get; }

    /// <summary>IMPLICIT TRANSITION TIME (SPC-4 §6.27, extended header): seconds an implicit transition may take, 0 unknown.</summary>
    byte ImplicitTransitionTimeSeconds { get; }

    /// <summary>Every group, in the order REPORT TARGET PORT GROUPS lists them. Fixed for the provider's lifetime.</summary>
    IReadOnlyList<TargetPortGroup> Groups { get; }

    /// <summary>The group holding a relative target port; null when none does. Allocates nothing.</summary>
    TargetPortGroup? FindByPort(ushort relativeTargetPortId);

    /// <summary>
    /// SET TARGET PORT GROUPS (explicit ALUA): moves every listed group to its state, all or none. False, with the index
    /// of the refused entry, when a group is unknown, cannot be changed from here, or the state is not one a SET may ask.
    /// </summary>
    bool TrySetStates(ReadOnlySpan<(ushort GroupId, AsymmetricAccessState State)> changes, ItNexus? origin, out int refused);

    /// <summary>Raised after any group changed state (implicitly or explicitly).</summary>
    event EventHandler<AluaStateChangedEventArgs>? StateChanged;
}

/// <summary>A state change: <see cref="Origin"/> is the nexus whose SET TARGET PORT GROUPS made it, null for an implicit one.</summary>
public sealed class AluaStateChangedEventArgs(ItNexus? origin) : EventArgs
{
    /// <summary>The nexus that asked for the change (it gets no unit attention, SPC-4 §5.15.2.3); null: implicit.</summary>
    public ItNexus? Origin { get; } = origin;
}
