using System.Buffers.Binary;

namespace NetScsi.Scsi.Commands;

/// <summary>
/// REPORT SUPPORTED OPERATION CODES (SPC-4 §6.35), MAINTENANCE IN service action 0Ch: byte 2 RCTD (bit 7) and
/// REPORTING OPTIONS (bits 2-0), byte 3 REQUESTED OPERATION CODE, bytes 4-5 REQUESTED SERVICE ACTION, bytes 6-9
/// ALLOCATION LENGTH.
/// </summary>
public readonly record struct ReportSupportedOperationCodesCdb(
    byte ReportingOptions, uint AllocationLength, byte RequestedOpcode = 0, ushort RequestedServiceAction = 0, bool ReturnCommandTimeouts = false)
{
    /// <summary>The CDB is 12 bytes.</summary>
    public const int Length = 12;

    // SPC-4 §6.35.1 (table 226): REPORTING OPTIONS.
    public const byte AllCommands = 0;
    public const byte OneCommand = 1;
    public const byte OneServiceAction = 2;
    public const byte OneCommandOrServiceAction = 3;

    public const byte ReturnCommandTimeoutsBit = 0x80;
    public const byte ReportingOptionsMask = 0x07;

    /// <summary>Writes the CDB; returns its length.</summary>
    public int WriteTo(Span<byte> cdb)
    {
        Span<byte> c = cdb[..Length];
        c.Clear();
        c[0] = ScsiOpcode.MaintenanceIn;
        c[1] = ScsiOpcode.ReportSupportedOperationCodesServiceAction;
        c[2] = (byte)((ReturnCommandTimeouts ? ReturnCommandTimeoutsBit : 0) | (ReportingOptions & ReportingOptionsMask));
        c[3] = RequestedOpcode;
        BinaryPrimitives.WriteUInt16BigEndian(c[4..], RequestedServiceAction);
        BinaryPrimitives.WriteUInt32BigEndian(c[6..], AllocationLength);
        return Length;
    }

    /// <summary>Reads the CDB; false when it is not a REPORT SUPPORTED OPERATION CODES or too short.</summary>
    public static bool TryParse(ReadOnlySpan<byte> cdb, out ReportSupportedOperationCodesCdb result)
    {
        result = default;
        if (cdb.Length < Length || cdb[0] != ScsiOpcode.MaintenanceIn
            || (cdb[1] & CdbFields.ServiceActionMask) != ScsiOpcode.ReportSupportedOperationCodesServiceAction)
        {
            return false;
        }
        result = new ReportSupportedOperationCodesCdb(
            (byte)(cdb[2] & ReportingOptionsMask),
            BinaryPrimitives.ReadUInt32BigEndian(cdb[6..]),
            cdb[3],
            BinaryPrimitives.ReadUInt16BigEndian(cdb[4..]),
            (cdb[2] & ReturnCommandTimeoutsBit) != 0);
        return true;
    }
}
