namespace NetScsi.Scsi;

/// <summary>A TransportID read from a parameter list.</summary>
/// <param name="Id">The TransportID in canonical form.</param>
/// <param name="Device">The initiator device it names or belongs to (equal to <paramref name="Id"/> when it names a device).</param>
/// <param name="NamesPort">True when it names one initiator port; false when it names an initiator device (all its ports).</param>
/// <param name="Length">How many bytes of the parameter data it occupies.</param>
public readonly record struct ParsedTransportId(TransportId Id, TransportId Device, bool NamesPort, int Length);
