using System.Text.Json.Serialization;

namespace NetScsi.Cli.Json.Output;

/// <summary><c>netscsi node list --json</c>.</summary>
internal sealed record NodeListJson(string Directory, IReadOnlyList<NodeJson> Nodes);

/// <summary>
/// <c>netscsi node show --json</c>: one node record as the commands use it (digests spelt out, secrets masked
/// unless asked for); unset negotiation values are left out.
/// </summary>
internal sealed record NodeJson(
    string Name,
    string Portal,
    string Target,
    string? InitiatorName,
    NodeChapJson? Chap,
    NodeChapJson? MutualChap,
    string HeaderDigest,
    string DataDigest,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? MaxRecvDataSegmentLength,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? ImmediateData,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonPropertyName("initial_r2t")] bool? InitialR2T,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? TimeoutSeconds);

/// <summary>CHAP credentials; the secret is <c>********</c> unless secrets were asked for.</summary>
internal sealed record NodeChapJson(string User, string Secret);
