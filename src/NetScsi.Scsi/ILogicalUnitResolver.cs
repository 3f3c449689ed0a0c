namespace NetScsi.Scsi;

/// <summary>
/// Finds the logical units of the SCSI target device a command arrived through by their identity, for
/// commands that name other units (SPC-4 §6.4 EXTENDED COPY names its source and destination by the
/// designators of their Device Identification VPD pages). <see cref="ScsiTargetDevice"/> implements it over
/// the units it maps, so a per-initiator view only ever resolves units that initiator can see.
/// </summary>
public interface ILogicalUnitResolver
{
    /// <summary>
    /// Finds a unit whose Device Identification VPD page (logical unit association) holds a designator with
    /// this CODE SET, DESIGNATOR TYPE and value.
    /// </summary>
    bool TryFindByDesignator(int codeSet, int designatorType, ReadOnlySpan<byte> designator, out ILogicalUnit unit);
}

/// <summary>A logical unit that can say whether a VPD 0x83 designator names it.</summary>
public interface IDesignatedLogicalUnit
{
    /// <summary>True when the unit reports this designator (logical unit association) in VPD page 0x83.</summary>
    bool HasDesignator(int codeSet, int designatorType, ReadOnlySpan<byte> designator);
}
