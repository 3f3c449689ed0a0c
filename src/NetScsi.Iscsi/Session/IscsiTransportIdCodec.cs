using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using NetScsi.Scsi;

namespace NetScsi.Iscsi.Session;

/// <summary>
/// iSCSI TransportIDs (SPC-4 §7.6.4.6): FORMAT CODE 00b names an initiator device by its iSCSI name; 01b names an
/// initiator port by the name, ",i,0x" and the ISID in hexadecimal (RFC 7143 §13.3 / SAM-5 §4.6.2). Either is the
/// name NUL-terminated and zero-padded so that ADDITIONAL LENGTH is a multiple of four and at least 20. The canonical
/// form, the one <see cref="TransportId"/> equality compares, has the name in lower case (iSCSI names compare
/// case-insensitively: RFC 3722 stringprep maps them to lower case) and the ISID as 12 hex digits.
/// </summary>
public sealed class IscsiTransportIdCodec : ITransportIdCodec
{
    /// <summary>SPC-4 §7.6.1 (table 362): PROTOCOL IDENTIFIER 5h, Internet SCSI.</summary>
    public const int IscsiProtocolIdentifier = 0x5;

    /// <summary>FORMAT CODE 00b: the iSCSI name of the initiator device.</summary>
    public const int DeviceNameFormat = 0;

    /// <summary>FORMAT CODE 01b: the iSCSI name of the initiator port (name, separator, ISID).</summary>
    public const int PortNameFormat = 1;

    /// <summary>SPC-4 §7.6.4.6: between the iSCSI name and the ISID of an initiator port name.</summary>
    public const string PortSeparator = ",i,0x";

    private const int HeaderLength = 4;
    private const int MinimumAdditionalLength = 20;
    private const int IsidHexDigits = 12;
    private const int FormatCodeBit = 7;
    private const byte ReservedBitsMask = 0x30;

    private static readonly UTF8Encoding s_strictUtf8 = new(false, throwOnInvalidBytes: true);

    private IscsiTransportIdCodec()
    {
    }

    /// <summary>The codec; it has no state.</summary>
    public static IscsiTransportIdCodec Instance { get; } = new();

    /// <inheritdoc/>
    public int ProtocolIdentifier => IscsiProtocolIdentifier;

    /// <summary>
    /// The I_T nexus of an iSCSI session (SAM-5 §4.6.2): initiator port "name,i,0x&lt;ISID&gt;", initiator device
    /// "name", relative target port identifier = the target portal group tag.
    /// </summary>
    public static ItNexus CreateNexus(string initiatorName, ulong isid, ushort relativeTargetPortId) =>
        new(ForPort(initiatorName, isid), ForDevice(initiatorName), relativeTargetPortId, Instance);

    /// <summary>
    /// The nexus of a registrant of a version 1 reservation state file, which named it by its iSCSI name and its
    /// initiator port name ("name,i,0x&lt;ISID&gt;"). Throws <see cref="FormatException"/> for a port name of another form.
    /// </summary>
    public static ItNexus FromVersion1Names(string initiatorName, string initiatorPortName, ushort relativeTargetPortId)
    {
        ArgumentException.ThrowIfNullOrEmpty(initiatorName);
        ArgumentNullException.ThrowIfNull(initiatorPortName);
        if (!TryParsePortName(initiatorPortName.ToLowerInvariant(), out string deviceName, out ulong isid)
            || !string.Equals(deviceName, initiatorName, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"\"{initiatorPortName}\" is not the iSCSI initiator port name of {initiatorName}.");
        }
        return CreateNexus(initiatorName, isid, relativeTargetPortId);
    }

    /// <summary>The canonical FORMAT CODE 01b TransportID of an initiator port.</summary>
    public static TransportId ForPort(string initiatorName, ulong isid)
    {
        ArgumentException.ThrowIfNullOrEmpty(initiatorName);
        return Encode(PortNameFormat, PortName(initiatorName.ToLowerInvariant(), isid));
    }

    /// <summary>The canonical FORMAT CODE 00b TransportID of an initiator device.</summary>
    public static TransportId ForDevice(string initiatorName)
    {
        ArgumentException.ThrowIfNullOrEmpty(initiatorName);
        return Encode(DeviceNameFormat, initiatorName.ToLowerInvariant());
    }

    /// <inheritdoc/>
    public bool TryParse(ReadOnlySpan<byte> data, out ParsedTransportId parsed, out TransportIdFieldError error)
    {
        parsed = default;
        error = default;
        if (data.Length < TransportId.MinimumLength)
        {
            error = TransportIdFieldError.WrongLength;
            return false;
        }
        int format = data[0] >> TransportId.FormatCodeShift;
        if (format > PortNameFormat || (data[0] & ReservedBitsMask) != 0)
        {
            error = new TransportIdFieldError(0, FormatCodeBit);
            return false;
        }
        int additionalLength = TransportId.ReadAdditionalLength(data);
        if (additionalLength < MinimumAdditionalLength || (additionalLength & 3) != 0 || HeaderLength + additionalLength > data.Length)
        {
            error = new TransportIdFieldError(TransportId.AdditionalLengthOffset, -1);
            return false;
        }
        ReadOnlySpan<byte> nameField = data.Slice(HeaderLength, additionalLength);
        int terminator = nameField.IndexOf((byte)0);
        string name;
        try
        {
            // The name must be NUL-terminated and not empty.
            name = terminator > 0 ? s_strictUtf8.GetString(nameField[..terminator]).ToLowerInvariant() : string.Empty;
        }
        catch (DecoderFallbackException)
        {
            name = string.Empty;
        }
        if (name.Length == 0)
        {
            error = new TransportIdFieldError(HeaderLength, -1);
            return false;
        }
        if (format == DeviceNameFormat)
        {
            TransportId device = Encode(DeviceNameFormat, name);
            parsed = new ParsedTransportId(device, device, NamesPort: false, HeaderLength + additionalLength);
            return true;
        }
        if (!TryParsePortName(name, out string deviceName, out ulong isid))
        {
            error = new TransportIdFieldError(HeaderLength, -1);
            return false;
        }
        parsed = new ParsedTransportId(
            Encode(PortNameFormat, PortName(deviceName, isid)), Encode(DeviceNameFormat, deviceName), NamesPort: true, HeaderLength + additionalLength);
        return true;
    }

    /// <inheritdoc/>
    public string Format(TransportId transportId)
    {
        ArgumentNullException.ThrowIfNull(transportId);
        ReadOnlySpan<byte> bytes = transportId.Bytes;
        ReadOnlySpan<byte> name = bytes[HeaderLength..];
        int terminator = name.IndexOf((byte)0);
        return Encoding.UTF8.GetString(terminator < 0 ? name : name[..terminator]);
    }

    private static string PortName(string deviceName, ulong isid) =>
        string.Create(CultureInfo.InvariantCulture, $"{deviceName}{PortSeparator}{isid:x12}");

    private static TransportId Encode(int format, string name)
    {
        int nameLength = Encoding.UTF8.GetByteCount(name) + 1; // NUL-terminated
        int additionalLength = Math.Max(MinimumAdditionalLength, (nameLength + 3) & ~3);
        Span<byte> d = stackalloc byte[HeaderLength + additionalLength];
        d.Clear();
        d[0] = (byte)((format << TransportId.FormatCodeShift) | IscsiProtocolIdentifier);
        BinaryPrimitives.WriteUInt16BigEndian(d[TransportId.AdditionalLengthOffset..], (ushort)additionalLength);
        Encoding.UTF8.GetBytes(name, d[HeaderLength..]);
        return new TransportId(d);
    }

    // "<iSCSI name>,i,0x<ISID in hex>": the name and the 48-bit ISID.
    private static bool TryParsePortName(string portName, out string deviceName, out ulong isid)
    {
        int at = portName.IndexOf(PortSeparator, StringComparison.Ordinal);
        deviceName = at > 0 ? portName[..at] : string.Empty;
        isid = 0;
        if (at <= 0)
        {
            return false;
        }
        ReadOnlySpan<char> hex = portName.AsSpan(at + PortSeparator.Length);
        return hex.Length is > 0 and <= IsidHexDigits
            && ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out isid);
    }
}
