namespace NetScsi.Iscsi.Configuration;

/// <summary>An initiator admitted to a target, with the LUNs it sees.</summary>
/// <param name="InitiatorName">The initiator's iSCSI name, exactly.</param>
/// <param name="Luns">LUN numbers of the target this initiator sees; null = all.</param>
/// <param name="Chap">Per-initiator CHAP credentials overriding the target's; null = the target's.</param>
public sealed record InitiatorAcl(string InitiatorName, IReadOnlyList<int>? Luns = null, ChapCredentials? Chap = null);
