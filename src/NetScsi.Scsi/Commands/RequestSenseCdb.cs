namespace NetScsi.Scsi.Commands;

/// <summary>REQUEST SENSE (SPC-4 §6.39): byte 1 bit 0 DESC, byte 4 ALLOCATION LENGTH.</summary>
/// <param name="DescriptorFormat">DESC: sense data in descriptor format.</param>
/// <param name="AllocationLength">ALLOCATION LENGTH.</param>
public readonly record struct RequestSenseCdb(bool DescriptorFormat, byte AllocationLength)
{
    /// <summary>The CDB is 6 bytes.</summary>
    public const int Length = 6;

    /// <summary>DESC (byte 1 bit 0).</summary>
    public const byte DescriptorFormatBit = 0x01;

    /// <summary>Byte offset of ALLOCATION LENGTH.</summary>
    public const int AllocationLengthOffset = 4;

    /// <summary>Writes the CDB; returns its length.</summary>
    public int WriteTo(Span<byte> cdb)
    {
        Span<byte> c = cdb[..Length];
        c.Clear();
        c[0] = ScsiOpcode.RequestSense;
        c[1] = DescriptorFormat ? DescriptorFormatBit : (byte)0;
        c[AllocationLengthOffset] = AllocationLength;
        return Length;
    }

    /// <summary>Reads the CDB; false when it is not a REQUEST SENSE or too short.</summary>
    public static bool TryParse(ReadOnlySpan<byte> cdb, out RequestSenseCdb result)
    {
        result = default;
        if (cdb.Length < Length || cdb[0] != ScsiOpcode.RequestSense)
        {
            return false;
        }
        result = new RequestSenseCdb((cdb[1] & DescriptorFormatBit) != 0, cdb[AllocationLengthOffset]);
        return true;
    }
}
