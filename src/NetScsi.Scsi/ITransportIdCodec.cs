namespace NetScsi.Scsi;

/// <summary>
/// How one SCSI transport protocol reads and writes its TransportIDs (SPC-4 §7.6.4). The transport that creates an
/// <see cref="ItNexus"/> supplies its codec with it, so the SCSI layer can answer commands that name other
/// initiators by TransportID (PERSISTENT RESERVE OUT REGISTER AND MOVE, SPEC_I_PT) without knowing any protocol's
/// naming rules. Implementations are stateless and thread-safe.
/// </summary>
public interface ITransportIdCodec
{
    /// <summary>PROTOCOL IDENTIFIER (SPC-4 §7.6.1) of the TransportIDs this codec reads.</summary>
    int ProtocolIdentifier { get; }

    /// <summary>
    /// Reads one TransportID of this protocol from the start of <paramref name="data"/> (the caller has checked the
    /// PROTOCOL IDENTIFIER): its canonical form, whether it names an initiator port or only an initiator device, and
    /// the device it belongs to. False when it is malformed; <paramref name="error"/> then names the field.
    /// </summary>
    bool TryParse(ReadOnlySpan<byte> data, out ParsedTransportId parsed, out TransportIdFieldError error);

    /// <summary>A readable form of a TransportID of this protocol, for logs and messages.</summary>
    string Format(TransportId transportId);
}
