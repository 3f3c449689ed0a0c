using System.Text.Json;

namespace NetScsi.Cli.Json;

/// <summary>
/// Thrown by our converters with a message meant for the user. The serializer fills in
/// <see cref="JsonException.Path"/> and the line/position where the reader stood.
/// </summary>
internal sealed class ConfigJsonException(string message) : JsonException(message);
