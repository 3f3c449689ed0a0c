namespace NetScsi.Iscsi.Text;

/// <summary>One row of the RFC 7143 §13 key table.</summary>
/// <param name="Name">The key, case-sensitive.</param>
/// <param name="Section">Where the key is defined ("RFC 7143 §13.10").</param>
/// <param name="Type">Value syntax.</param>
/// <param name="Result">Result function.</param>
/// <param name="Use">When it may be sent.</param>
/// <param name="Stage">Which login stage.</param>
/// <param name="Senders">Who may send it.</param>
/// <param name="Scope">Session-wide or per connection.</param>
/// <param name="Default">The RFC default, null when there is none.</param>
/// <param name="Min">Smallest numeric value.</param>
/// <param name="Max">Largest numeric value.</param>
/// <param name="MaxValueLength">Largest value in bytes.</param>
/// <param name="IrrelevantInDiscovery">"Irrelevant when: SessionType=Discovery".</param>
/// <param name="IrrelevantWithoutRdma">RFC 7145 §6: "Irrelevant when: RDMAExtensions=No" (the iSER keys).</param>
/// <param name="Values">The values a list or enumerated key may take; null = any.</param>
/// <param name="ObsoleteAnswer">For the keys RFC 7143 §13.25 obsoletes: the fixed answer.</param>
public sealed record TextKeyDefinition(
    string Name,
    string Section,
    TextKeyValueType Type,
    TextKeyResultFunction Result,
    TextKeyUse Use,
    TextKeyStage Stage,
    TextKeySenders Senders,
    TextKeyScope Scope,
    string? Default,
    ulong Min = 0,
    ulong Max = 0,
    int MaxValueLength = 255,
    bool IrrelevantInDiscovery = false,
    IReadOnlyList<string>? Values = null,
    string? ObsoleteAnswer = null,
    bool IrrelevantWithoutRdma = false)
{
    public bool IsDeclarative => Result == TextKeyResultFunction.Declarative;

    public bool IsObsolete => ObsoleteAnswer is not null;

    /// <summary>True when the key may appear in a Text request during full-feature phase.</summary>
    public bool AllowedInFullFeature => Use is TextKeyUse.All or TextKeyUse.FullFeatureOnly;

    /// <summary>True when the key may appear during login.</summary>
    public bool AllowedInLogin => Use is not TextKeyUse.FullFeatureOnly;

    public bool InitiatorMaySend => Senders is TextKeySenders.Initiator or TextKeySenders.Both;
}
