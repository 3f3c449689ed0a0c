using System.Buffers.Binary;

namespace NetScsi.Scsi.Commands;

/// <summary>
/// INQUIRY (SPC-4 §6.6): byte 1 bit 0 EVPD, byte 2 PAGE CODE, bytes 3-4 ALLOCATION LENGTH. EVPD = 0 asks for the
/// standard INQUIRY data (<see cref="StandardInquiryData"/>), EVPD = 1 for the vital product data page named.
/// </summary>
public readonly record struct InquiryCdb(bool Evpd, byte PageCode, ushort AllocationLength)
{
    /// <summary>The CDB is 6 bytes.</summary>
    public const int Length = 6;

    /// <summary>EVPD (byte 1 bit 0).</summary>
    public const byte EvpdBit = 0x01;

    /// <summary>CMDDT (byte 1 bit 1), obsolete.</summary>
    public const byte CmdDtBit = 0x02;

    /// <summary>Byte offset of PAGE CODE.</summary>
    public const int PageCodeOffset = 2;

    /// <summary>Byte offset of ALLOCATION LENGTH.</summary>
    public const int AllocationLengthOffset = 3;

    /// <summary>The standard INQUIRY data.</summary>
    public static InquiryCdb Standard(ushort allocationLength) => new(false, 0, allocationLength);

    /// <summary>A vital product data page.</summary>
    public static InquiryCdb VitalProductData(byte pageCode, ushort allocationLength) => new(true, pageCode, allocationLength);

    /// <summary>Writes the CDB; returns its length.</summary>
    public int WriteTo(Span<byte> cdb)
    {
        Span<byte> c = cdb[..Length];
        c.Clear();
        c[0] = ScsiOpcode.Inquiry;
        c[1] = Evpd ? EvpdBit : (byte)0;
        c[PageCodeOffset] = PageCode;
        BinaryPrimitives.WriteUInt16BigEndian(c[AllocationLengthOffset..], AllocationLength);
        return Length;
    }

    /// <summary>Reads the CDB; false when it is not an INQUIRY or too short.</summary>
    public static bool TryParse(ReadOnlySpan<byte> cdb, out InquiryCdb result)
    {
        result = default;
        if (cdb.Length < Length || cdb[0] != ScsiOpcode.Inquiry)
        {
            return false;
        }
        result = new InquiryCdb((cdb[1] & EvpdBit) != 0, cdb[PageCodeOffset], BinaryPrimitives.ReadUInt16BigEndian(cdb[AllocationLengthOffset..]));
        return true;
    }
}
