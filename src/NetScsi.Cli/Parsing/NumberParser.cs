using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace NetScsi.Cli.Parsing;

/// <summary>
/// Custom parsers for numeric options: the range check happens while parsing, so a bad value gets one
/// message in the option's terms ("--blocks 'abc': expected a whole number from 1 to ...") and no validator
/// ever reads a value that failed to convert (System.CommandLine throws from a validator then).
/// </summary>
internal static class NumberParser
{
    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static T Whole<T>(ArgumentResult result, string option, T min, T max)
        where T : struct, IBinaryInteger<T> =>
        Parse(result, option, NumberStyles.None, min, max, minExclusive: false, string.Create(CultureInfo.InvariantCulture, $"a whole number from {min} to {max}"));

    /// <summary>A decimal number of seconds in [<paramref name="min"/>, <paramref name="max"/>] (or (min, max] when <paramref name="minExclusive"/>).</summary>
    public static double Seconds(ArgumentResult result, string option, double min, double max, bool minExclusive) =>
        Parse(result, option, NumberStyles.AllowDecimalPoint, min, max, minExclusive,
            string.Create(CultureInfo.InvariantCulture, $"seconds, {(minExclusive ? "more than" : "at least")} {min} and at most {max}"));

    private static T Parse<T>(ArgumentResult result, string option, NumberStyles styles, T min, T max, bool minExclusive, string expected)
        where T : struct, INumber<T>
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (T.TryParse(text, styles, CultureInfo.InvariantCulture, out T value)
            && (minExclusive ? value > min : value >= min) && value <= max)
        {
            return value;
        }

        result.AddError($"{option} '{text}': expected {expected}");
        return default;
    }
}
