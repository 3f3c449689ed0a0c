using System.Text.Json.Serialization;

namespace NetScsi.Cli.Json.Output;

/// <summary><c>netscsi ls --json</c>: the target and each LUN it reports.</summary>
internal sealed record LsJson(string Portal, string? Target, IReadOnlyList<LsLunJson> Luns)
{
    /// <summary>With <c>--path</c>: each path of the URL's LUN, null without.</summary>
    public IReadOnlyList<LsPathJson>? Paths { get; init; }
}

/// <summary>One multipath path: its portal, whether its session runs, its port's group and that group's state, whether commands use it.</summary>
internal sealed record LsPathJson(string Portal, bool Up, ushort? Tpg, string? State, bool InUse);

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
