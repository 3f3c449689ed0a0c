namespace NetScsi.Scsi.Commands;

/// <summary>READ CAPACITY(10) (SBC-4 §5.19): ten bytes, operation code 25h; the answer is <see cref="ReadCapacity10Data"/>.</summary>
public readonly record struct ReadCapacity10Cdb
{
    /// <summary>The CDB is 10 bytes.</summary>
    public const int Length = 10;

    /// <summary>Writes the CDB; returns its length.</summary>
    public int WriteTo(Span<byte> cdb)
    {
        cdb[..Length].Clear();
        cdb[0] = ScsiOpcode.ReadCapacity10;
        return Length;
    }

    /// <summary>Reads the CDB; false when it is not a READ CAPACITY(10) or too short.</summary>
    public static bool TryParse(ReadOnlySpan<byte> cdb, out ReadCapacity10Cdb result)
    {
        result = default;
        return cdb.Length >= Length && cdb[0] == ScsiOpcode.ReadCapacity10;
    }
}
