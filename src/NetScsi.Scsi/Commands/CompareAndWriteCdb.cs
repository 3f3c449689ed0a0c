using System.Buffers.Binary;

namespace NetScsi.Scsi.Commands;

/// <summary>
/// COMPARE AND WRITE (SBC-4 §5.3): byte 1 flags (WRPROTECT, DPO, FUA), bytes 2-9 LOGICAL BLOCK ADDRESS, byte 13
/// NUMBER OF LOGICAL BLOCKS; the Data-Out buffer is the verify data then the write data (twice that many blocks).
/// </summary>
public readonly record struct CompareAndWriteCdb(ulong Lba, byte Blocks, byte Flags = 0)
{
    /// <summary>The CDB is 16 bytes.</summary>
    public const int Length = 16;

    /// <summary>Byte offset of NUMBER OF LOGICAL BLOCKS.</summary>
    public const int BlocksOffset = 13;

    private const int LbaOffset = 2;

    /// <summary>FUA.</summary>
    public bool Fua => (Flags & BlockCdb.FuaFlag) != 0;

    /// <summary>Writes the CDB; returns its length.</summary>
    public int WriteTo(Span<byte> cdb)
    {
        Span<byte> c = cdb[..Length];
        c.Clear();
        c[0] = ScsiOpcode.CompareAndWrite;
        c[1] = Flags;
        BinaryPrimitives.WriteUInt64BigEndian(c[LbaOffset..], Lba);
        c[BlocksOffset] = Blocks;
        return Length;
    }

    /// <summary>Reads the CDB; false when it is not a COMPARE AND WRITE or too short.</summary>
    public static bool TryParse(ReadOnlySpan<byte> cdb, out CompareAndWriteCdb result)
    {
        result = default;
        if (cdb.Length < Length || cdb[0] != ScsiOpcode.CompareAndWrite)
        {
            return false;
        }
        result = new CompareAndWriteCdb(BinaryPrimitives.ReadUInt64BigEndian(cdb[LbaOffset..]), cdb[BlocksOffset], cdb[1]);
        return true;
    }
}
