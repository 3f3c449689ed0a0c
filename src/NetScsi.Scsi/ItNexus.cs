namespace NetScsi.Scsi;

/// <summary>
/// An I_T nexus (SAM-5 §4.6): one initiator port talking to one target port. Unit attentions,
/// reservations and task sets are kept per nexus. Created once per session by the transport,
/// never per command; compared by reference is fine, by value is correct.
/// </summary>
/// <param name="InitiatorName">The initiator device name (iSCSI: InitiatorName, e.g. iqn.1993-08.org.debian:01:abc).</param>
/// <param name="InitiatorPortName">The initiator port name (iSCSI: InitiatorName + ",i,0x" + ISID in hex).</param>
/// <param name="RelativeTargetPortId">Relative target port identifier (1-based) of the port the nexus uses.</param>
public sealed record ItNexus(string InitiatorName, string InitiatorPortName, ushort RelativeTargetPortId);
