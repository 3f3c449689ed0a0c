using System.Text.Json;
using System.Text.Json.Serialization;
using NetScsi.Cli.Parsing;
using NetScsi.Transport;

namespace NetScsi.Cli.Json;

/// <summary>Portals are strings in the same form as <c>--listen</c>.</summary>
internal sealed class PortalJsonConverter : JsonConverter<Portal>
{
    public override Portal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new ConfigJsonException("a portal must be a string like \"127.0.0.1:3260\" or \"[::1]:3260\"");
        }

        var text = reader.GetString()!;
        return PortalParser.TryParse(text, out var portal, out var error)
            ? portal
            : throw new ConfigJsonException(error);
    }

    public override void Write(Utf8JsonWriter writer, Portal value, JsonSerializerOptions options) =>
        writer.WriteStringValue(PortalParser.Format(value));
}
