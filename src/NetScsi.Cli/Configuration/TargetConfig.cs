namespace NetScsi.Cli.Configuration;

/// <summary>One target node: its iSCSI name, LUNs, authentication and access control.</summary>
internal sealed class TargetConfig
{
    public required string Iqn { get; set; }

    public string? Alias { get; set; }

    public List<LunConfig> Luns { get; } = new();

    /// <summary>One-way CHAP: the initiator must prove it knows this secret.</summary>
    public ChapConfig? Chap { get; set; }

    /// <summary>Mutual CHAP: what the target answers with when the initiator challenges it.</summary>
    public ChapConfig? MutualChap { get; set; }

    /// <summary>Empty: every initiator may log in and sees every LUN.</summary>
    public List<AclConfig> Acls { get; } = new();

    /// <summary>True when the config file defined this target (rather than flags or defaults).</summary>
    public bool DefinedInFile { get; init; }
}
