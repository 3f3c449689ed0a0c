using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using NetScsi.Cli.Parsing;

namespace NetScsi.Cli.Json;

/// <summary>Portals are strings in the same form as <c>--listen</c>.</summary>
internal sealed class PortalJsonConverter : JsonConverter<IPEndPoint>
{
    public override IPEndPoint Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new ConfigJsonException("a portal must be a string like \"127.0.0.1:3260\" or \"[::1]:3260\"");
        }

        var text = reader.GetString()!;
        return PortalParser.TryParse(text, out var endPoint, out var error)
            ? endPoint
            : throw new ConfigJsonException(error);
    }

    public override void Write(Utf8JsonWriter writer, IPEndPoint value, JsonSerializerOptions options) =>
        writer.WriteStringValue(PortalParser.Format(value));
}
