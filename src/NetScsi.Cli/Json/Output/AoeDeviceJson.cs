namespace NetScsi.Cli.Json.Output;

/// <summary><c>netscsi capacity/ls --json</c> of an AoE device, and one row of <c>netscsi discover aoe:IFACE --json</c>.</summary>
/// <param name="Device">shelf.slot.</param>
/// <param name="SizeBytes">From IDENTIFY DEVICE; null when the device did not answer it.</param>
internal sealed record AoeDeviceJson(
    string Device,
    string Url,
    string Mac,
    ulong? SizeBytes,
    ulong? Sectors,
    int SectorSize,
    string? Model,
    string? Serial,
    string? Firmware,
    bool? Lba48,
    int BufferCount,
    int SectorsPerCommand,
    int FirmwareVersion,
    string ConfigString,
    string? Error);

/// <summary><c>netscsi discover aoe:IFACE --json</c>: the devices that answered the broadcast Query Config.</summary>
internal sealed record AoeDiscoverJson(string Interface, IReadOnlyList<AoeDeviceJson> Devices);
