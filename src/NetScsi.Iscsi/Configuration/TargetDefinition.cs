namespace NetScsi.Iscsi.Configuration;

/// <summary>One iSCSI target node: a name, its LUNs and who may use them.</summary>
public sealed class TargetDefinition
{
    private ChapCredentials? _chap;
    private ChapCredentials? _mutualChap;

    public required string Name { get; init; }

    public string? Alias { get; init; }

    /// <summary>The LUNs; changed copy-on-write (a running target's control plane changes it while sessions read it).</summary>
    public CopyOnWriteList<LunMapping> Luns { get; } = new();

    /// <summary>When set, initiators must authenticate with these (one-way CHAP).</summary>
    public ChapCredentials? Chap
    {
        get => Volatile.Read(ref _chap);
        set => Volatile.Write(ref _chap, value);
    }

    /// <summary>What the target answers with when an initiator asks it to authenticate (mutual CHAP).</summary>
    public ChapCredentials? MutualChap
    {
        get => Volatile.Read(ref _mutualChap);
        set => Volatile.Write(ref _mutualChap, value);
    }

    /// <summary>
    /// Initiator access control. Empty: every initiator may log in and sees every LUN. Otherwise only
    /// the listed initiator names may log in (or discover the target), each seeing only its LUNs.
    /// </summary>
    public CopyOnWriteList<InitiatorAcl> Acls { get; } = new();
}
