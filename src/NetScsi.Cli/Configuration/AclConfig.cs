namespace NetScsi.Cli.Configuration;

/// <summary>Lets one initiator log in, optionally limited to some LUNs and with its own CHAP credentials.</summary>
internal sealed class AclConfig
{
    public required string InitiatorName { get; set; }

    /// <summary>LUN numbers this initiator sees; null = all of the target's LUNs.</summary>
    public List<int>? Luns { get; set; }

    /// <summary>Overrides the target's one-way CHAP credentials for this initiator.</summary>
    public ChapConfig? Chap { get; set; }
}
