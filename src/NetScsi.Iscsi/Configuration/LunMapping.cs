namespace NetScsi.Iscsi.Configuration;

/// <summary>A logical unit under its LUN number.</summary>
/// <param name="Number">LUN number as the initiator sees it (0..16383).</param>
public sealed record LunMapping(int Number, NetScsi.Scsi.ILogicalUnit Unit);
