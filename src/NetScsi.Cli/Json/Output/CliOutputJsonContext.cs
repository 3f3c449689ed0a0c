using System.Text.Json.Serialization;

namespace NetScsi.Cli.Json.Output;

// What the initiator commands print with --json: one source-generated document per command, snake_case keys.
// Nulls are written (a reader sees "serial": null rather than a missing key) unless a property says otherwise.
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true)]
[JsonSerializable(typeof(InquiryJson))]
[JsonSerializable(typeof(CapacityJson))]
[JsonSerializable(typeof(LsJson))]
[JsonSerializable(typeof(DiscoverJson))]
[JsonSerializable(typeof(AoeDiscoverJson))]
[JsonSerializable(typeof(AoeDeviceJson))]
[JsonSerializable(typeof(CopyJson))]
[JsonSerializable(typeof(BenchJson))]
[JsonSerializable(typeof(NodeListJson))]
[JsonSerializable(typeof(NodeJson))]
[JsonSerializable(typeof(IpStatusJson))]
[JsonSerializable(typeof(IpStatusJson[]))]
internal sealed partial class CliOutputJsonContext : JsonSerializerContext;
