using System.Text;

namespace NetScsi.Scsi.Commands;

/// <summary>The fields of standard INQUIRY data (SPC-4 §6.6.2) initiators look at, read from the data-in.</summary>
/// <param name="PeripheralQualifier">Byte 0 bits 7-5 (000b: a unit is connected; 011b: none at this LUN).</param>
/// <param name="PeripheralDeviceType">Byte 0 bits 4-0 (<see cref="Scsi.PeripheralDeviceType"/>).</param>
/// <param name="Removable">RMB.</param>
/// <param name="Version">VERSION (06h: SPC-4).</param>
/// <param name="VendorId">T10 VENDOR IDENTIFICATION, trimmed.</param>
/// <param name="ProductId">PRODUCT IDENTIFICATION, trimmed.</param>
/// <param name="ProductRevision">PRODUCT REVISION LEVEL, trimmed.</param>
public readonly record struct StandardInquiryData(
    byte PeripheralQualifier, byte PeripheralDeviceType, bool Removable, byte Version, string VendorId, string ProductId, string ProductRevision)
{
    /// <summary>The mandatory part of standard INQUIRY data.</summary>
    public const int MinimumLength = 36;

    /// <summary>VERSION 06h: the device claims SPC-4.</summary>
    public const byte Spc4Version = 0x06;

    /// <summary>Byte 3: HISUP = 1 (hierarchical LUNs), RESPONSE DATA FORMAT = 2.</summary>
    public const byte HierarchicalSupportAndResponseDataFormat2 = 0x12;

    /// <summary>ADDITIONAL LENGTH (byte 4) counts the bytes after it.</summary>
    public const int AdditionalLengthBase = 5;

    private const int PeripheralQualifierShift = 5;
    private const byte RemovableBit = 0x80;
    private const int VersionOffset = 2;
    private const int VendorIdOffset = 8;
    private const int VendorIdLength = 8;
    private const int ProductIdOffset = 16;
    private const int ProductIdLength = 16;
    private const int RevisionOffset = 32;
    private const int RevisionLength = 4;

    /// <summary>
    /// Reads what <paramref name="data"/> holds; fields beyond its end are empty (an initiator may ask for less than
    /// 36 bytes). False when not even byte 0 is there.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out StandardInquiryData result)
    {
        result = default;
        if (data.IsEmpty)
        {
            return false;
        }
        result = new StandardInquiryData(
            (byte)(data[0] >> PeripheralQualifierShift),
            (byte)(data[0] & Scsi.PeripheralDeviceType.Mask),
            data.Length > 1 && (data[1] & RemovableBit) != 0,
            data.Length > VersionOffset ? data[VersionOffset] : (byte)0,
            Ascii(data, VendorIdOffset, VendorIdLength),
            Ascii(data, ProductIdOffset, ProductIdLength),
            Ascii(data, RevisionOffset, RevisionLength));
        return true;
    }

    private static string Ascii(ReadOnlySpan<byte> data, int offset, int length) =>
        data.Length >= offset + length ? Encoding.ASCII.GetString(data.Slice(offset, length)).Trim() : string.Empty;
}
