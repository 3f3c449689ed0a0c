namespace NetScsi.Scsi.Alua;

/// <summary>
/// The target port groups of one logical unit and their states (<see cref="IAluaStateProvider"/>). Built once with
/// every group; states change through <see cref="SetState"/> (implicit: whatever owns the policy, such as a storage
/// lock follower) or <see cref="TrySetStates"/> (SET TARGET PORT GROUPS, when explicit transitions are on). Every
/// change raises <see cref="StateChanged"/>, which the logical unit turns into ASYMMETRIC ACCESS STATE CHANGED unit
/// attentions. Lookups by port allocate nothing.
/// </summary>
public sealed class TargetPortGroupRegistry : IAluaStateProvider
{
    private readonly TargetPortGroup[] _groups;
    private readonly Lock _lock = new();

    /// <param name="transitions">TPGS: implicit, explicit or both.</param>
    /// <param name="groups">Every group: its id, its relative target ports, whether it is this process's, its initial state.</param>
    /// <param name="implicitTransitionTimeSeconds">IMPLICIT TRANSITION TIME reported by REPORT TARGET PORT GROUPS.</param>
    /// <exception cref="ArgumentException">No group, a group id 0 or repeated, a port in two groups, no transitions.</exception>
    public TargetPortGroupRegistry(
        AluaTransitions transitions,
        IEnumerable<(ushort Id, ushort[] RelativeTargetPorts, bool IsLocal, AsymmetricAccessState State)> groups,
        byte implicitTransitionTimeSeconds = 0)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (transitions == AluaTransitions.None || (transitions & ~(AluaTransitions.Implicit | AluaTransitions.Explicit)) != 0)
        {
            throw new ArgumentException("Implicit, explicit or both.", nameof(transitions));
        }
        var list = new List<TargetPortGroup>();
        var ports = new HashSet<ushort>();
        foreach ((ushort id, ushort[] relativeTargetPorts, bool isLocal, AsymmetricAccessState state) in groups)
        {
            if (id == 0 || list.Exists(g => g.Id == id))
            {
                throw new ArgumentException($"Target port group {id} is 0 or listed twice.", nameof(groups));
            }
            if (!Enum.IsDefined(state))
            {
                throw new ArgumentException($"Target port group {id}: state {(byte)state:X}h is not an asymmetric access state.", nameof(groups));
            }
            foreach (ushort port in relativeTargetPorts)
            {
                if (port == 0 || !ports.Add(port))
                {
                    throw new ArgumentException($"Relative target port {port} is 0 or in two groups.", nameof(groups));
                }
            }
            list.Add(new TargetPortGroup(id, [.. relativeTargetPorts], isLocal, state));
        }
        if (list.Count == 0)
        {
            throw new ArgumentException("At least one target port group.", nameof(groups));
        }
        _groups = [.. list];
        Transitions = transitions;
        ImplicitTransitionTimeSeconds = implicitTransitionTimeSeconds;
    }

    /// <inheritdoc/>
    public AluaTransitions Transitions { get; }

    /// <inheritdoc/>
    public byte ImplicitTransitionTimeSeconds { get; }

    /// <inheritdoc/>
    public IReadOnlyList<TargetPortGroup> Groups => _groups;

    /// <inheritdoc/>
    public event EventHandler<AluaStateChangedEventArgs>? StateChanged;

    /// <summary>The group with this id, or null.</summary>
    public TargetPortGroup? Find(ushort groupId)
    {
        foreach (TargetPortGroup group in _groups)
        {
            if (group.Id == groupId)
            {
                return group;
            }
        }
        return null;
    }

    /// <inheritdoc/>
    public TargetPortGroup? FindByPort(ushort relativeTargetPortId)
    {
        foreach (TargetPortGroup group in _groups)
        {
            foreach (ushort port in group.Ports)
            {
                if (port == relativeTargetPortId)
                {
                    return group;
                }
            }
        }
        return null;
    }

    /// <summary>An implicit transition (local or peer group): raises <see cref="StateChanged"/> when the state changed.</summary>
    /// <exception cref="ArgumentException">No such group, or not an asymmetric access state.</exception>
    public void SetState(ushort groupId, AsymmetricAccessState state)
    {
        if (!Enum.IsDefined(state))
        {
            throw new ArgumentException($"State {(byte)state:X}h is not an asymmetric access state.", nameof(state));
        }
        TargetPortGroup group = Find(groupId) ?? throw new ArgumentException($"No target port group {groupId}.", nameof(groupId));
        bool changed;
        lock (_lock)
        {
            changed = group.Set(state, TargetPortGroupStatus.AlteredImplicitly);
        }
        if (changed)
        {
            StateChanged?.Invoke(this, new AluaStateChangedEventArgs(null));
        }
    }

    /// <inheritdoc/>
    public bool TrySetStates(ReadOnlySpan<(ushort GroupId, AsymmetricAccessState State)> changes, ItNexus? origin, out int refused)
    {
        refused = -1;
        if ((Transitions & AluaTransitions.Explicit) == 0)
        {
            refused = 0;
            return false;
        }
        // SPC-4 §6.39: a SET may ask for active/optimized, active/non-optimized, standby or unavailable, of a group it can change.
        for (int i = 0; i < changes.Length; i++)
        {
            if (changes[i].State is not (AsymmetricAccessState.ActiveOptimized or AsymmetricAccessState.ActiveNonOptimized
                or AsymmetricAccessState.Standby or AsymmetricAccessState.Unavailable)
                || Find(changes[i].GroupId) is not { IsLocal: true })
            {
                refused = i;
                return false;
            }
        }
        bool changed = false;
        lock (_lock)
        {
            foreach ((ushort groupId, AsymmetricAccessState state) in changes)
            {
                changed |= Find(groupId)!.Set(state, TargetPortGroupStatus.AlteredBySetTargetPortGroups);
            }
        }
        if (changed)
        {
            StateChanged?.Invoke(this, new AluaStateChangedEventArgs(origin));
        }
        return true;
    }
}
