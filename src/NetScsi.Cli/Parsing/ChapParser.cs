using System.Diagnostics.CodeAnalysis;
using NetScsi.Cli.Configuration;

namespace NetScsi.Cli.Parsing;

/// <summary>
/// <c>USER:SECRET</c>. The split is at the first ':', so the secret may contain ':' but the user may
/// not; a user name with ':' (e.g. an IQN) goes in the config file.
/// </summary>
internal static class ChapParser
{
    public static bool TryParse(string text, string optionName, [NotNullWhen(true)] out ChapConfig? chap, [NotNullWhen(false)] out string? error)
    {
        chap = null;
        int colon = text.IndexOf(':');
        if (colon < 0)
        {
            // Never echo the value: it is (probably) a secret.
            error = $"{optionName}: expected USER:SECRET";
            return false;
        }

        chap = new ChapConfig(text[..colon], text[(colon + 1)..]);
        return ChapRules.TryValidate(chap, optionName, out error);
    }
}
