using NetScsi.Scsi;
using NetScsi.Transport.Ethernet;

namespace NetScsi.Transport.Aoe;

/// <summary>One exported logical unit: the slot (AoE minor address, 0 to 254) it answers as.</summary>
/// <param name="Slot">The AoE minor address.</param>
/// <param name="Unit">The logical unit (512-octet blocks).</param>
/// <param name="MacMask">The initial MAC Mask List: empty, every initiator; else only these see the slot.</param>
/// <param name="ConfigString">The initial config string (at most 1024 octets).</param>
public sealed record AoeSlotDefinition(byte Slot, ILogicalUnit Unit, IReadOnlyList<MacAddress>? MacMask = null, byte[]? ConfigString = null);
