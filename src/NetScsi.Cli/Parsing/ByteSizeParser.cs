using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace NetScsi.Cli.Parsing;

/// <summary>
/// Sizes like <c>1G</c>, <c>64MiB</c>, <c>512</c>, <c>4096B</c>. Suffixes K, M, G, T are binary
/// (1K = 1024) with or without "i" and a trailing "B", in any case: disk sizes are always meant in
/// powers of two here, and mixing in SI units would only produce sizes that are not block multiples.
/// </summary>
internal static class ByteSizeParser
{
    public static bool TryParse(string text, out long bytes, [NotNullWhen(false)] out string? error)
    {
        bytes = 0;
        var s = text.Trim();
        int digits = 0;
        while (digits < s.Length && char.IsAsciiDigit(s[digits]))
        {
            digits++;
        }

        if (digits == 0)
        {
            error = $"invalid size '{text}': expected a number of bytes with an optional K, M, G or T suffix (e.g. 1G, 64MiB)";
            return false;
        }

        if (!long.TryParse(s.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            error = $"invalid size '{text}': number too large";
            return false;
        }

        int shift;
        var suffix = s.AsSpan(digits).Trim();
        if (suffix.IsEmpty || suffix.Equals("B", StringComparison.OrdinalIgnoreCase))
        {
            shift = 0;
        }
        else
        {
            shift = char.ToUpperInvariant(suffix[0]) switch
            {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => -1,
            };
            var rest = suffix[1..];
            bool restOk = rest.IsEmpty
                || rest.Equals("B", StringComparison.OrdinalIgnoreCase)
                || rest.Equals("iB", StringComparison.OrdinalIgnoreCase);
            if (shift < 0 || !restOk)
            {
                error = $"invalid size '{text}': unknown unit '{suffix}' (use K, M, G, T, KiB, MiB, GiB, TiB or B)";
                return false;
            }
        }

        if (number > long.MaxValue >> shift)
        {
            error = $"invalid size '{text}': too large";
            return false;
        }

        bytes = number << shift;
        error = null;
        return true;
    }

    /// <summary>Exact rendering in the largest binary unit that divides the size: 1073741824 → "1 GiB", 1536 → "1536 B".</summary>
    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        int unit = 0;
        long value = bytes;
        while (unit < units.Length - 1 && value != 0 && (value & 1023) == 0)
        {
            value >>= 10;
            unit++;
        }

        return value.ToString(CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
