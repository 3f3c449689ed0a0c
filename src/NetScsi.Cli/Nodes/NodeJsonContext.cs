using System.Text.Json;
using System.Text.Json.Serialization;

namespace NetScsi.Cli.Nodes;

// Source-generated, like the config file's context. Unknown properties are errors: a hand-edited
// record with a misspelt key should be refused, not half-applied.
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(NodeRecord))]
internal sealed partial class NodeJsonContext : JsonSerializerContext;
