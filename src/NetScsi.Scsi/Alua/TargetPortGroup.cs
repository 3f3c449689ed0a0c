namespace NetScsi.Scsi.Alua;

/// <summary>
/// One target port group (SPC-4 §5.15.2.2): its identifier, the relative target ports in it, and its current state.
/// <see cref="IsLocal"/> groups are this process's own ports (a SET TARGET PORT GROUPS may change them); the others are
/// reported so that an initiator learns every path of the logical unit (another gateway's ports).
/// </summary>
public sealed class TargetPortGroup
{
    private volatile int _state;
    private volatile int _status;

    internal TargetPortGroup(ushort id, ushort[] relativeTargetPorts, bool isLocal, AsymmetricAccessState state)
    {
        Id = id;
        Ports = relativeTargetPorts;
        IsLocal = isLocal;
        _state = (int)state;
    }

    /// <summary>TARGET PORT GROUP (1..65535).</summary>
    public ushort Id { get; }

    /// <summary>The relative target port identifiers of the group's ports.</summary>
    public IReadOnlyList<ushort> RelativeTargetPorts => Ports;

    /// <summary>The same, as the array lookups walk.</summary>
    internal ushort[] Ports { get; }

    /// <summary>The group's ports belong to this process.</summary>
    public bool IsLocal { get; }

    /// <summary>The current asymmetric access state.</summary>
    public AsymmetricAccessState State => (AsymmetricAccessState)_state;

    /// <summary>STATUS CODE: what made the last change.</summary>
    public TargetPortGroupStatus Status => (TargetPortGroupStatus)_status;

    /// <summary>Sets the state; true when it changed.</summary>
    internal bool Set(AsymmetricAccessState state, TargetPortGroupStatus status)
    {
        if (Interlocked.Exchange(ref _state, (int)state) == (int)state)
        {
            return false;
        }
        _status = (int)status;
        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => $"target port group {Id} ({AsymmetricAccessStates.Name(State)}{(IsLocal ? ", local" : "")})";
}
