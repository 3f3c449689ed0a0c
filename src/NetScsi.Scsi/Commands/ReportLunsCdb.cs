using System.Buffers.Binary;

namespace NetScsi.Scsi.Commands;

/// <summary>REPORT LUNS (SPC-4 §6.33): byte 2 SELECT REPORT, bytes 6-9 ALLOCATION LENGTH (at least 16).</summary>
public readonly record struct ReportLunsCdb(byte SelectReport, uint AllocationLength)
{
    /// <summary>The CDB is 12 bytes.</summary>
    public const int Length = 12;

    /// <summary>SELECT REPORT 00h: every logical unit but the well known ones.</summary>
    public const byte AllButWellKnown = 0x00;

    /// <summary>SELECT REPORT 01h: well known logical units only.</summary>
    public const byte WellKnownOnly = 0x01;

    /// <summary>SELECT REPORT 02h: every logical unit.</summary>
    public const byte All = 0x02;

    /// <summary>The smallest ALLOCATION LENGTH a device server accepts.</summary>
    public const uint MinimumAllocationLength = 16;

    public const int SelectReportOffset = 2;
    public const int AllocationLengthOffset = 6;

    /// <summary>Writes the CDB; returns its length.</summary>
    public int WriteTo(Span<byte> cdb)
    {
        Span<byte> c = cdb[..Length];
        c.Clear();
        c[0] = ScsiOpcode.ReportLuns;
        c[SelectReportOffset] = SelectReport;
        BinaryPrimitives.WriteUInt32BigEndian(c[AllocationLengthOffset..], AllocationLength);
        return Length;
    }

    /// <summary>Reads the CDB; false when it is not a REPORT LUNS or too short.</summary>
    public static bool TryParse(ReadOnlySpan<byte> cdb, out ReportLunsCdb result)
    {
        result = default;
        if (cdb.Length < Length || cdb[0] != ScsiOpcode.ReportLuns)
        {
            return false;
        }
        result = new ReportLunsCdb(cdb[SelectReportOffset], BinaryPrimitives.ReadUInt32BigEndian(cdb[AllocationLengthOffset..]));
        return true;
    }
}
