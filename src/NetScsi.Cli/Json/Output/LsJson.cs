using System.Text.Json.Serialization;

namespace NetScsi.Cli.Json.Output;

/// <summary><c>netscsi ls --json</c>: the target and each LUN it reports.</summary>
internal sealed record LsJson(string Portal, string? Target, IReadOnlyList<LsLunJson> Luns);

/// <summary>One LUN: its type and identity; size when READ CAPACITY answered, else <c>size_bytes: null</c>.</summary>
internal sealed record LsLunJson(
    ulong Lun,
    string Type,
    int TypeCode,
    ulong? SizeBytes,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ulong? Blocks,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? BlockSize,
    string Vendor,
    string Product,
    string Revision,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<Initiator.TargetPortGroupInfo>? Alua = null);
