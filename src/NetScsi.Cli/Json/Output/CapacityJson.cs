namespace NetScsi.Cli.Json.Output;

/// <summary><c>netscsi capacity --json</c>: READ CAPACITY(16) and the provisioning the unit reports.</summary>
internal sealed record CapacityJson(
    ulong Lun,
    ulong Blocks,
    int BlockSize,
    ulong SizeBytes,
    bool ThinProvisioned,
    bool UnmappedReadsZero,
    bool Unmap,
    bool WriteSameUnmap);
