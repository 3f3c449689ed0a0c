using Microsoft.Extensions.Logging;

namespace NetScsi.Cli.Parsing;

internal static class LogLevelParser
{
    public static readonly string[] Names = ["trace", "debug", "information", "warning", "error"];

    public static bool TryParse(string text, out LogLevel level)
    {
        level = text.Trim().ToLowerInvariant() switch
        {
            "trace" => LogLevel.Trace,
            "debug" => LogLevel.Debug,
            "information" or "info" => LogLevel.Information,
            "warning" or "warn" => LogLevel.Warning,
            "error" => LogLevel.Error,
            _ => LogLevel.None,
        };
        return level != LogLevel.None;
    }

    public static string Error(string text) =>
        $"invalid log level '{text}': expected one of {string.Join(", ", Names)}";
}
