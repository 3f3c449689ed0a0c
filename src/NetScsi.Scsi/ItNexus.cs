namespace NetScsi.Scsi;

/// <summary>
/// An I_T nexus (SAM-5 §4.6): one initiator port talking to one target port. Unit attentions, reservations and
/// task sets are kept per nexus. Created once per session by the transport, never per command. The initiator is
/// named by TransportIDs (SPC-4 §7.6.4) in the transport's canonical form, so two nexuses are the same exactly when
/// their initiator port TransportIDs and relative target ports are: a nexus restored from saved reservation state
/// equals the one the transport creates when that initiator returns.
/// </summary>
public sealed class ItNexus : IEquatable<ItNexus>
{
    /// <param name="initiatorPort">TransportID of the initiator port (SAM-5 §4.6.2).</param>
    /// <param name="initiatorDevice">TransportID of the initiator device the port belongs to (the same as
    /// <paramref name="initiatorPort"/> for protocols whose TransportIDs name ports only).</param>
    /// <param name="relativeTargetPortId">Relative target port identifier (1-based) of the port the nexus uses.</param>
    /// <param name="transportIds">The codec of the transport that created the nexus; null for a nexus restored from
    /// saved state, which never sends commands.</param>
    public ItNexus(TransportId initiatorPort, TransportId initiatorDevice, ushort relativeTargetPortId, ITransportIdCodec? transportIds)
    {
        ArgumentNullException.ThrowIfNull(initiatorPort);
        ArgumentNullException.ThrowIfNull(initiatorDevice);
        if (initiatorPort.ProtocolIdentifier != initiatorDevice.ProtocolIdentifier)
        {
            throw new ArgumentException("The initiator port and device TransportIDs belong to different protocols.", nameof(initiatorDevice));
        }
        if (transportIds is not null && transportIds.ProtocolIdentifier != initiatorPort.ProtocolIdentifier)
        {
            throw new ArgumentException("The codec reads another protocol's TransportIDs.", nameof(transportIds));
        }
        InitiatorPort = initiatorPort;
        InitiatorDevice = initiatorDevice;
        RelativeTargetPortId = relativeTargetPortId;
        TransportIds = transportIds;
    }

    /// <summary>TransportID of the initiator port.</summary>
    public TransportId InitiatorPort { get; }

    /// <summary>TransportID of the initiator device.</summary>
    public TransportId InitiatorDevice { get; }

    /// <summary>Relative target port identifier (1-based) of the port the nexus uses.</summary>
    public ushort RelativeTargetPortId { get; }

    /// <summary>How the transport of this nexus reads the TransportIDs a command names; null for restored nexuses.</summary>
    public ITransportIdCodec? TransportIds { get; }

    /// <inheritdoc/>
    public bool Equals(ItNexus? other) =>
        other is not null
        && (ReferenceEquals(this, other) || (RelativeTargetPortId == other.RelativeTargetPortId && InitiatorPort.Equals(other.InitiatorPort)));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ItNexus other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(InitiatorPort, RelativeTargetPortId);

    /// <summary>The initiator port as its transport writes it, and the relative target port.</summary>
    public override string ToString() =>
        $"{TransportIds?.Format(InitiatorPort) ?? InitiatorPort.ToString()} (relative target port {RelativeTargetPortId})";
}
