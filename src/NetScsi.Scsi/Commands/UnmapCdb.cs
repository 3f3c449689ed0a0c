using System.Buffers.Binary;

namespace NetScsi.Scsi.Commands;

/// <summary>UNMAP (SBC-4 §5.30): byte 1 bit 0 ANCHOR, bytes 7-8 PARAMETER LIST LENGTH (<see cref="UnmapParameterList"/>).</summary>
public readonly record struct UnmapCdb(ushort ParameterListLength, bool Anchor = false)
{
    /// <summary>The CDB is 10 bytes.</summary>
    public const int Length = 10;

    /// <summary>ANCHOR (byte 1 bit 0).</summary>
    public const byte AnchorBit = 0x01;

    private const int ParameterListLengthOffset = 7;

    /// <summary>Writes the CDB; returns its length.</summary>
    public int WriteTo(Span<byte> cdb)
    {
        Span<byte> c = cdb[..Length];
        c.Clear();
        c[0] = ScsiOpcode.Unmap;
        c[1] = Anchor ? AnchorBit : (byte)0;
        BinaryPrimitives.WriteUInt16BigEndian(c[ParameterListLengthOffset..], ParameterListLength);
        return Length;
    }

    /// <summary>Reads the CDB; false when it is not an UNMAP or too short.</summary>
    public static bool TryParse(ReadOnlySpan<byte> cdb, out UnmapCdb result)
    {
        result = default;
        if (cdb.Length < Length || cdb[0] != ScsiOpcode.Unmap)
        {
            return false;
        }
        result = new UnmapCdb(BinaryPrimitives.ReadUInt16BigEndian(cdb[ParameterListLengthOffset..]), (cdb[1] & AnchorBit) != 0);
        return true;
    }
}
