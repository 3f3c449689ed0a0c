using System.Diagnostics.CodeAnalysis;
using NetScsi.Scsi;
using NetScsi.Transport.Ethernet;

namespace NetScsi.Transport.Aoe;

/// <summary>
/// How an AoE initiator is named to the SCSI layer: SPC-4 defines no TransportID for AoE, so it is one of PROTOCOL
/// IDENTIFIER Fh (no specific protocol) holding the initiator's MAC address (octets 2-7, the rest zero, 24 octets).
/// Reservations, unit attentions and task sets are kept per such nexus, one per initiator MAC.
/// </summary>
public sealed class AoeTransportIdCodec : ITransportIdCodec
{
    /// <summary>SPC-4 §7.6.1: no specific protocol.</summary>
    public const int NoSpecificProtocol = 0xF;

    private const int AddressOffset = 2;

    public static AoeTransportIdCodec Instance { get; } = new();

    public int ProtocolIdentifier => NoSpecificProtocol;

    /// <summary>The TransportID naming <paramref name="initiator"/>.</summary>
    public static TransportId Create(MacAddress initiator)
    {
        Span<byte> bytes = stackalloc byte[TransportId.MinimumLength];
        bytes.Clear();
        bytes[0] = NoSpecificProtocol;
        initiator.WriteTo(bytes[AddressOffset..]);
        return new TransportId(bytes);
    }

    /// <summary>The nexus of the initiator at <paramref name="initiator"/> through relative target port <paramref name="relativeTargetPortId"/>.</summary>
    public static ItNexus CreateNexus(MacAddress initiator, ushort relativeTargetPortId)
    {
        TransportId id = Create(initiator);
        return new ItNexus(id, id, relativeTargetPortId, Instance);
    }

    public bool TryParse(ReadOnlySpan<byte> data, out ParsedTransportId parsed, out TransportIdFieldError error)
    {
        parsed = default;
        error = default;
        if (data.Length < TransportId.MinimumLength)
        {
            error = TransportIdFieldError.WrongLength;
            return false;
        }

        if (data[0] >> TransportId.FormatCodeShift != 0)
        {
            error = new TransportIdFieldError(0, TransportId.FormatCodeShift);
            return false;
        }

        TransportId id = Create(MacAddress.Read(data[AddressOffset..]));
        parsed = new ParsedTransportId(id, id, NamesPort: true, TransportId.MinimumLength);
        return true;
    }

    public string Format(TransportId transportId) => TryAddress(transportId, out MacAddress mac) ? $"aoe:{mac}" : transportId.ToString();

    private static bool TryAddress(TransportId transportId, [NotNullWhen(true)] out MacAddress mac)
    {
        mac = default;
        if (transportId.ProtocolIdentifier != NoSpecificProtocol || transportId.Length < AddressOffset + MacAddress.Length)
        {
            return false;
        }

        mac = MacAddress.Read(transportId.Bytes[AddressOffset..]);
        return true;
    }
}
