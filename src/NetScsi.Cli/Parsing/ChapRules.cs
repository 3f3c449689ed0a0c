using System.Diagnostics.CodeAnalysis;
using System.Text;
using NetScsi.Cli.Configuration;

namespace NetScsi.Cli.Parsing;

/// <summary>Rules for CHAP credentials wherever they come from (flag or config file).</summary>
internal static class ChapRules
{
    /// <summary>
    /// RFC 7143 §12.1.3 recommends secrets of at least 96 bits (12 bytes). Linux LIO and tgt accept
    /// shorter ones and so do we, with a warning; some initiators (Microsoft's) refuse under 12.
    /// </summary>
    public const int RecommendedMinSecretBytes = 12;

    /// <summary>Upper bound LIO uses; long enough for any sane secret, short enough to bound the key value.</summary>
    public const int MaxSecretBytes = 255;

    public const int MaxUserBytes = 255;

    public static bool TryValidate(ChapConfig chap, string where, [NotNullWhen(false)] out string? error)
    {
        if (chap.User.Length == 0)
        {
            error = $"{where}: CHAP user name is empty";
            return false;
        }

        if (Encoding.UTF8.GetByteCount(chap.User) > MaxUserBytes)
        {
            error = $"{where}: CHAP user name is longer than {MaxUserBytes} bytes";
            return false;
        }

        if (chap.User.Any(char.IsControl))
        {
            error = $"{where}: CHAP user name contains control characters";
            return false;
        }

        int secretBytes = Encoding.UTF8.GetByteCount(chap.Secret);
        if (secretBytes == 0)
        {
            error = $"{where}: CHAP secret is empty";
            return false;
        }

        if (secretBytes > MaxSecretBytes)
        {
            error = $"{where}: CHAP secret is longer than {MaxSecretBytes} bytes";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>A warning for a short secret, or null.</summary>
    public static string? Warning(ChapConfig chap, string where)
    {
        int secretBytes = Encoding.UTF8.GetByteCount(chap.Secret);
        return secretBytes < RecommendedMinSecretBytes
            ? $"{where}: CHAP secret for user '{chap.User}' is {secretBytes} bytes; RFC 7143 recommends at least {RecommendedMinSecretBytes} (some initiators refuse shorter ones)"
            : null;
    }
}
