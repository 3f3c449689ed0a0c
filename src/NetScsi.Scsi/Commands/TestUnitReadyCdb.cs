namespace NetScsi.Scsi.Commands;

/// <summary>TEST UNIT READY (SPC-4 §6.47): six bytes, operation code 00h, nothing else.</summary>
public readonly record struct TestUnitReadyCdb
{
    /// <summary>The CDB is 6 bytes.</summary>
    public const int Length = 6;

    /// <summary>Writes the CDB; returns its length.</summary>
    public int WriteTo(Span<byte> cdb)
    {
        cdb[..Length].Clear();
        cdb[0] = ScsiOpcode.TestUnitReady;
        return Length;
    }

    /// <summary>Reads the CDB; false when it is not a TEST UNIT READY or too short.</summary>
    public static bool TryParse(ReadOnlySpan<byte> cdb, out TestUnitReadyCdb result)
    {
        result = default;
        return cdb.Length >= Length && cdb[0] == ScsiOpcode.TestUnitReady;
    }
}
