using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using NetScsi.Cli.Configuration;

namespace NetScsi.Cli.Parsing;

/// <summary>
/// <c>--acl INITIATOR[=LUN[,LUN...]]</c>. '=' cannot occur in an iSCSI name (RFC 3722), so it
/// separates the name from the LUN list unambiguously even though iqn names contain ':'.
/// </summary>
internal static class AclSpecParser
{
    public static bool TryParse(string spec, [NotNullWhen(true)] out AclConfig? acl, [NotNullWhen(false)] out string? error)
    {
        acl = null;
        int eq = spec.IndexOf('=');
        var name = eq < 0 ? spec : spec[..eq];
        if (!IscsiNameValidator.TryValidate(name, out var nameError))
        {
            error = $"invalid ACL '{spec}': {nameError}";
            return false;
        }

        List<int>? luns = null;
        if (eq >= 0)
        {
            luns = new List<int>();
            foreach (var item in spec[(eq + 1)..].Split(','))
            {
                if (!int.TryParse(item.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var lun) || lun > LunSpecParser.MaxLunNumber)
                {
                    error = $"invalid ACL '{spec}': LUN '{item}' is not a number 0..{LunSpecParser.MaxLunNumber}";
                    return false;
                }

                luns.Add(lun);
            }
        }

        acl = new AclConfig { InitiatorName = name, Luns = luns };
        error = null;
        return true;
    }
}
