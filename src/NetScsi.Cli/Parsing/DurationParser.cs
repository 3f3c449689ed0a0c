using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace NetScsi.Cli.Parsing;

/// <summary>Durations: <c>30</c> (seconds), <c>30s</c>, <c>500ms</c>, <c>2m</c>; fractions allowed (<c>1.5</c>).</summary>
internal static class DurationParser
{
    public static bool TryParse(string text, out TimeSpan value, [NotNullWhen(false)] out string? error)
    {
        value = default;
        var s = text.Trim();
        double scale = 1;
        if (s.EndsWith("ms", StringComparison.OrdinalIgnoreCase))
        {
            scale = 0.001;
            s = s[..^2];
        }
        else if (s.EndsWith('s') || s.EndsWith('S'))
        {
            s = s[..^1];
        }
        else if (s.EndsWith('m') || s.EndsWith('M'))
        {
            scale = 60;
            s = s[..^1];
        }

        if (!double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number)
            || number * scale <= 0 || number * scale > 86400)
        {
            error = $"invalid duration '{text}': expected seconds (e.g. 10, 2.5s, 500ms, 2m), more than 0 and at most a day";
            return false;
        }

        value = TimeSpan.FromSeconds(number * scale);
        error = null;
        return true;
    }
}
