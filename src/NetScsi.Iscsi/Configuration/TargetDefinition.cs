namespace NetScsi.Iscsi.Configuration;

/// <summary>One iSCSI target node: a name, its LUNs and who may use them.</summary>
public sealed class TargetDefinition
{
    public required string Name { get; init; }

    public string? Alias { get; init; }

    public IList<LunMapping> Luns { get; } = new List<LunMapping>();

    /// <summary>When set, initiators must authenticate with these (one-way CHAP).</summary>
    public ChapCredentials? Chap { get; set; }

    /// <summary>What the target answers with when an initiator asks it to authenticate (mutual CHAP).</summary>
    public ChapCredentials? MutualChap { get; set; }

    /// <summary>
    /// Initiator access control. Empty: every initiator may log in and sees every LUN. Otherwise only
    /// the listed initiator names may log in (or discover the target), each seeing only its LUNs.
    /// </summary>
    public IList<InitiatorAcl> Acls { get; } = new List<InitiatorAcl>();
}
