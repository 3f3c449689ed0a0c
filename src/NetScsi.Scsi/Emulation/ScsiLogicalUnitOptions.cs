namespace NetScsi.Scsi.Emulation;

/// <summary>
/// What every logical unit built on <see cref="ScsiLogicalUnit"/> is told about itself: how it names itself in
/// INQUIRY and VPD pages 80h/83h, its target port group, and where its persistent reservations survive power loss.
/// Each device type adds its own settings in a derived class.
/// </summary>
public abstract class ScsiLogicalUnitOptions
{
    private protected ScsiLogicalUnitOptions(string productId) => ProductId = productId;

    /// <summary>T10 VENDOR IDENTIFICATION, up to 8 ASCII characters (space-padded on the wire).</summary>
    public string VendorId { get; set; } = "NETSCSI";

    /// <summary>PRODUCT IDENTIFICATION, up to 16 ASCII characters.</summary>
    public string ProductId { get; set; }

    /// <summary>PRODUCT REVISION LEVEL, up to 4 ASCII characters.</summary>
    public string Revision { get; set; } = "0001";

    /// <summary>Unit serial number (VPD 0x80). Null: derived from the unit's identity, stable across restarts.</summary>
    public string? SerialNumber { get; set; }

    /// <summary>Target port group reported in VPD 0x83 when <see cref="Alua"/> is null or holds no group for the port.</summary>
    public ushort TargetPortGroup { get; set; } = 1;

    /// <summary>
    /// Asymmetric logical unit access (SPC-4 §5.15): the target port groups and their states. Null (the default): TPGS
    /// 00b, no REPORT or SET TARGET PORT GROUPS, every port active/optimized.
    /// </summary>
    public Alua.IAluaStateProvider? Alua { get; set; }

    /// <summary>
    /// IEEE company identifier (OUI, 24 bits) in the NAA 6 designator of VPD 0x83. The default is a
    /// placeholder; deployments that own an OUI should set theirs.
    /// </summary>
    public uint IeeeCompanyId { get; set; } = 0x001405;

    /// <summary>
    /// Where persistent reservations are kept through power loss (SPC-4 §5.13.5, APTPL). Null: APTPL is not
    /// supported (PTPL_C = 0; APTPL = 1 in REGISTER is INVALID FIELD IN PARAMETER LIST). Set: after a REGISTER,
    /// REGISTER AND IGNORE EXISTING KEY or REGISTER AND MOVE with APTPL = 1, every persistent reservation change
    /// rewrites this file atomically until one with APTPL = 0 deletes it; the unit loads it when constructed
    /// (an unreadable file throws <see cref="InvalidDataException"/>). One file per logical unit.
    /// </summary>
    public string? ReservationStatePath { get; set; }

    /// <summary>
    /// Reads the registrants of a version 1 <see cref="ReservationStatePath"/> file, written before TransportIDs came
    /// from the transport: it named each initiator by a device name and a port name string, in the form of the one
    /// transport there was. The transport that wrote them turns the pair (and the relative target port) into the
    /// nexus it creates for that initiator; the file is rewritten in the current version on its next change. Null:
    /// version 1 files are refused like any unreadable one.
    /// </summary>
    public Func<string, string, ushort, ItNexus>? Version1Registrant { get; set; }
}
