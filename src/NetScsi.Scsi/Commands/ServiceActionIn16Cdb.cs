using System.Buffers.Binary;

namespace NetScsi.Scsi.Commands;

/// <summary>
/// SERVICE ACTION IN(16) (SPC-4 §6.1 / SBC-4): byte 1 bits 4-0 SERVICE ACTION, bytes 2-9 LOGICAL BLOCK ADDRESS,
/// bytes 10-13 ALLOCATION LENGTH. READ CAPACITY(16) (SBC-4 §5.20) and GET LBA STATUS (SBC-4 §5.7) are its service
/// actions here; their answers are <see cref="ReadCapacity16Data"/> and the LBA status descriptors.
/// </summary>
public readonly record struct ServiceActionIn16Cdb(byte ServiceAction, ulong Lba, uint AllocationLength)
{
    /// <summary>The CDB is 16 bytes.</summary>
    public const int Length = 16;

    /// <summary>READ CAPACITY(16) data is 32 bytes.</summary>
    public const uint ReadCapacity16DataLength = 32;

    private const int LbaOffset = 2;
    private const int AllocationLengthOffset = 10;

    /// <summary>READ CAPACITY(16).</summary>
    public static ServiceActionIn16Cdb ReadCapacity16(uint allocationLength = ReadCapacity16DataLength) =>
        new(ScsiOpcode.ReadCapacity16ServiceAction, 0, allocationLength);

    /// <summary>GET LBA STATUS from <paramref name="lba"/>.</summary>
    public static ServiceActionIn16Cdb GetLbaStatus(ulong lba, uint allocationLength) =>
        new(ScsiOpcode.GetLbaStatusServiceAction, lba, allocationLength);

    /// <summary>Writes the CDB; returns its length.</summary>
    public int WriteTo(Span<byte> cdb)
    {
        Span<byte> c = cdb[..Length];
        c.Clear();
        c[0] = ScsiOpcode.ServiceActionIn16;
        c[1] = (byte)(ServiceAction & CdbFields.ServiceActionMask);
        BinaryPrimitives.WriteUInt64BigEndian(c[LbaOffset..], Lba);
        BinaryPrimitives.WriteUInt32BigEndian(c[AllocationLengthOffset..], AllocationLength);
        return Length;
    }

    /// <summary>Reads the CDB; false when it is not a SERVICE ACTION IN(16) or too short.</summary>
    public static bool TryParse(ReadOnlySpan<byte> cdb, out ServiceActionIn16Cdb result)
    {
        result = default;
        if (cdb.Length < Length || cdb[0] != ScsiOpcode.ServiceActionIn16)
        {
            return false;
        }
        result = new ServiceActionIn16Cdb(
            (byte)(cdb[1] & CdbFields.ServiceActionMask), BinaryPrimitives.ReadUInt64BigEndian(cdb[LbaOffset..]), BinaryPrimitives.ReadUInt32BigEndian(cdb[AllocationLengthOffset..]));
        return true;
    }
}
