using System.Buffers.Binary;

namespace NetScsi.Scsi.Commands;

/// <summary>
/// PERSISTENT RESERVE IN (SPC-4 §6.15.1): byte 1 bits 4-0 SERVICE ACTION, bytes 7-8 ALLOCATION LENGTH.
/// </summary>
/// <param name="ServiceAction">READ KEYS 00h, READ RESERVATION 01h, REPORT CAPABILITIES 02h, READ FULL STATUS 03h.</param>
/// <param name="AllocationLength">ALLOCATION LENGTH.</param>
public readonly record struct PersistentReserveInCdb(byte ServiceAction, ushort AllocationLength)
{
    /// <summary>The CDB is 10 bytes.</summary>
    public const int Length = 10;

    public const byte ReadKeys = 0x00;
    public const byte ReadReservation = 0x01;
    public const byte ReportCapabilities = 0x02;
    public const byte ReadFullStatus = 0x03;

    /// <summary>Writes the CDB; returns its length.</summary>
    public int WriteTo(Span<byte> cdb)
    {
        Span<byte> c = cdb[..Length];
        c.Clear();
        c[0] = ScsiOpcode.PersistentReserveIn;
        c[1] = (byte)(ServiceAction & CdbFields.ServiceActionMask);
        BinaryPrimitives.WriteUInt16BigEndian(c[7..], AllocationLength);
        return Length;
    }

    /// <summary>Reads the CDB; false when it is not a PERSISTENT RESERVE IN or too short.</summary>
    public static bool TryParse(ReadOnlySpan<byte> cdb, out PersistentReserveInCdb result)
    {
        result = default;
        if (cdb.Length < Length || cdb[0] != ScsiOpcode.PersistentReserveIn)
        {
            return false;
        }
        result = new PersistentReserveInCdb((byte)(cdb[1] & CdbFields.ServiceActionMask), BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]));
        return true;
    }
}
