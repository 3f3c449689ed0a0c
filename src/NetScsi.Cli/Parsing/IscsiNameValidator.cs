using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.RegularExpressions;

namespace NetScsi.Cli.Parsing;

/// <summary>
/// iSCSI names (RFC 3720 §3.2.6.3, kept in RFC 7143 §4.2.7): <c>iqn.YYYY-MM.reversed.domain[:anything]</c>,
/// <c>eui.</c> + 16 hex digits, <c>naa.</c> + 16 or 32 hex digits (RFC 3980). The check is deliberately
/// loose after the ':' of an iqn (initiators put anything there), strict where typos are common.
/// </summary>
internal static partial class IscsiNameValidator
{
    /// <summary>RFC 3720 §3.2.6.1: an iSCSI name is at most 223 bytes (UTF-8).</summary>
    public const int MaxLengthBytes = 223;

    public static bool TryValidate(string name, [NotNullWhen(false)] out string? error)
    {
        if (name.Length == 0)
        {
            error = "iSCSI name is empty";
            return false;
        }

        if (Encoding.UTF8.GetByteCount(name) > MaxLengthBytes)
        {
            error = $"iSCSI name '{name}' is longer than {MaxLengthBytes} bytes (RFC 3720 §3.2.6.1)";
            return false;
        }

        if (name.Any(char.IsWhiteSpace))
        {
            error = $"iSCSI name '{name}' contains whitespace";
            return false;
        }

        if (name.StartsWith("iqn.", StringComparison.OrdinalIgnoreCase))
        {
            // RFC 3722 stringprep folds names to lowercase, so peers compare the folded form; a name
            // with capitals would not match what the initiator sends back.
            if (name.Any(char.IsAsciiLetterUpper))
            {
                error = $"iSCSI name '{name}' must be lowercase (RFC 3722); did you mean '{name.ToLowerInvariant()}'?";
                return false;
            }

            if (!IqnPattern().IsMatch(name))
            {
                error = $"invalid iqn name '{name}': expected iqn.YYYY-MM.reversed.domain[:identifier], e.g. iqn.2026-11.org.example:disk1";
                return false;
            }

            error = null;
            return true;
        }

        if (name.StartsWith("eui.", StringComparison.OrdinalIgnoreCase))
        {
            if (!EuiPattern().IsMatch(name))
            {
                error = $"invalid eui name '{name}': expected eui. followed by 16 hex digits (EUI-64), e.g. eui.02004567A425678D";
                return false;
            }

            error = null;
            return true;
        }

        if (name.StartsWith("naa.", StringComparison.OrdinalIgnoreCase))
        {
            if (!NaaPattern().IsMatch(name))
            {
                error = $"invalid naa name '{name}': expected naa. followed by 16 or 32 hex digits (RFC 3980)";
                return false;
            }

            error = null;
            return true;
        }

        error = $"invalid iSCSI name '{name}': must start with iqn., eui. or naa.";
        return false;
    }

    // Date: a year and a month (01..12) in which the naming authority owned the domain.
    // Domain: reversed DNS labels, at least one. After ':' anything the authority likes.
    [GeneratedRegex(@"^iqn\.[0-9]{4}-(0[1-9]|1[0-2])\.[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:.+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex IqnPattern();

    [GeneratedRegex(@"^eui\.[0-9A-Fa-f]{16}$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex EuiPattern();

    [GeneratedRegex(@"^naa\.([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex NaaPattern();
}
