using System.Globalization;
using NetScsi.Cli.Configuration;
using NetScsi.Scsi.Alua;

namespace NetScsi.Cli.Parsing;

/// <summary>Parses <c>N[=STATE]</c> (<c>--tpg</c>, <c>--peer-tpg</c>, and the config file's <c>alua</c> strings).</summary>
internal static class TpgSpecParser
{
    /// <summary>The form <see cref="TryParse"/> reads: <c>N</c> or <c>N=STATE</c>.</summary>
    public static string Format(TpgSpec spec) => spec.State is { } state
        ? string.Create(CultureInfo.InvariantCulture, $"{spec.Id}={AsymmetricAccessStates.Name(state)}")
        : spec.Id.ToString(CultureInfo.InvariantCulture);

    public static bool TryParse(string text, string what, out TpgSpec? spec, out string? error)
    {
        spec = null;
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        string idText = eq < 0 ? text : text[..eq];
        if (!ushort.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out ushort id) || id == 0)
        {
            error = $"{what} '{text}': expected a target port group number 1..65535, optionally =STATE";
            return false;
        }

        AsymmetricAccessState? state = null;
        if (eq >= 0)
        {
            if (!AsymmetricAccessStates.TryParse(text[(eq + 1)..], out var parsed))
            {
                error = $"{what} '{text}': unknown state '{text[(eq + 1)..]}'; expected {AsymmetricAccessStates.Names}";
                return false;
            }

            state = parsed;
        }

        spec = new TpgSpec(id, state);
        error = null;
        return true;
    }
}
