using System.Text.Json;
using System.Text.Json.Serialization;

namespace NetScsi.Cli.Json;

// Source-generated: no reflection (trim/AOT clean). Unknown and duplicate properties are errors:
// a misspelt "redOnly" that silently does nothing is worse than a refusal to start.
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    NumberHandling = JsonNumberHandling.Strict,
    Converters = [typeof(LunConfigJsonConverter), typeof(PortalJsonConverter)])]
[JsonSerializable(typeof(ConfigFileDto))]
internal sealed partial class ConfigJsonContext : JsonSerializerContext;
