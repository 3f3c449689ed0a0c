namespace NetScsi.Cli.Json.Output;

/// <summary><c>netscsi inquiry --json</c>: standard INQUIRY data and the device identification designators.</summary>
internal sealed record InquiryJson(
    ulong Lun,
    int PeripheralQualifier,
    string Type,
    int TypeCode,
    string Vendor,
    string Product,
    string Revision,
    int Version,
    bool Removable,
    bool CmdQue,
    string? Serial,
    IReadOnlyList<string> Designators);
