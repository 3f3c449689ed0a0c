namespace NetScsi.Scsi.Commands;

/// <summary>Vital product data PAGE CODE values (SPC-4 §7.8, SBC-4 §6.6) used here.</summary>
public static class VpdPage
{
    /// <summary>Supported VPD Pages (SPC-4 §7.8.11).</summary>
    public const byte SupportedPages = 0x00;

    /// <summary>Unit Serial Number (SPC-4 §7.8.15).</summary>
    public const byte UnitSerialNumber = 0x80;

    /// <summary>Device Identification (SPC-4 §7.8.6).</summary>
    public const byte DeviceIdentification = 0x83;

    /// <summary>Third-party Copy (SPC-4 §7.8.17).</summary>
    public const byte ThirdPartyCopy = 0x8F;

    /// <summary>Block Limits (SBC-4 §6.6.4).</summary>
    public const byte BlockLimits = 0xB0;

    /// <summary>Block Device Characteristics (SBC-4 §6.6.2).</summary>
    public const byte BlockDeviceCharacteristics = 0xB1;

    /// <summary>Logical Block Provisioning (SBC-4 §6.6.5).</summary>
    public const byte LogicalBlockProvisioning = 0xB2;

    /// <summary>Every VPD page starts with a 4-byte header: byte 1 PAGE CODE, bytes 2-3 PAGE LENGTH.</summary>
    public const int HeaderLength = 4;

    /// <summary>Byte offset of PAGE CODE.</summary>
    public const int PageCodeOffset = 1;

    /// <summary>Byte offset of PAGE LENGTH.</summary>
    public const int PageLengthOffset = 2;
}
