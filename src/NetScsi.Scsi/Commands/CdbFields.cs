namespace NetScsi.Scsi.Commands;

/// <summary>Bit fields that many CDBs share (SPC-4 §4.2.5).</summary>
public static class CdbFields
{
    /// <summary>SERVICE ACTION: byte 1 bits 4-0 of the commands that have one.</summary>
    public const byte ServiceActionMask = 0x1F;

    /// <summary>Bit number of the most significant SERVICE ACTION bit, for field pointers.</summary>
    public const int ServiceActionHighBit = 4;

    /// <summary>NACA: bit 2 of the CONTROL byte (SAM-5 §5.2).</summary>
    public const byte NacaBit = 0x04;

    /// <summary>Bit number of NACA, for field pointers.</summary>
    public const int NacaBitNumber = 2;
}
