namespace NetScsi.Scsi;

/// <summary>PERIPHERAL DEVICE TYPE values of standard INQUIRY data (SPC-4 §6.6.2, table 140) used here.</summary>
public static class PeripheralDeviceType
{
    /// <summary>Direct access block device (SBC).</summary>
    public const byte DirectAccessBlock = 0x00;

    /// <summary>
    /// Communications device (SCSI-2 §18; RFC 2143 carries IP datagrams to one). SPC-4 lists 09h as obsolete: no
    /// later command set replaced it, so the SCSI-2 model and its SEND MESSAGE commands still describe it.
    /// </summary>
    public const byte Communications = 0x09;

    /// <summary>Unknown or no device type (with PERIPHERAL QUALIFIER 011b: no logical unit at this LUN).</summary>
    public const byte UnknownOrNone = 0x1F;

    /// <summary>Byte 0 bits 4-0.</summary>
    public const byte Mask = 0x1F;
}
