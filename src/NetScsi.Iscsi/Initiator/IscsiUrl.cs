using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Text;

namespace NetScsi.Iscsi.Initiator;

/// <summary>
/// An iSCSI URL in the form libiscsi's tools accept:
/// <c>iscsi://[user[%password]@]host[:port]/target-iqn/lun</c>, or <c>iscsi://[user[%password]@]host[:port]</c>
/// (optionally with a trailing slash) for a discovery-only portal. IPv6 literals go in brackets; the
/// port defaults to 3260. The first '%' of the user information separates user and password.
/// </summary>
public sealed class IscsiUrl
{
    /// <summary>The IANA port for iSCSI (RFC 7143 §13.8).</summary>
    public const int DefaultPort = 3260;

    private const string Scheme = "iscsi://";

    private IscsiUrl(string host, int port, string? targetName, ulong? lun, string? user, string? password)
    {
        Host = host;
        Port = port;
        TargetName = targetName;
        Lun = lun;
        User = user;
        Password = password;
    }

    /// <summary>Host name or IP literal (IPv6 without brackets).</summary>
    public string Host { get; }

    /// <summary>TCP port of the portal.</summary>
    public int Port { get; }

    /// <summary>Target IQN/EUI/NAA name; null for a discovery-only URL.</summary>
    public string? TargetName { get; }

    /// <summary>Logical unit number; null when the URL names no LUN.</summary>
    public ulong? Lun { get; }

    /// <summary>CHAP user name; null when the URL carries no credentials.</summary>
    public string? User { get; }

    /// <summary>CHAP secret; null when the URL carries none. Never included in <see cref="ToString"/>.</summary>
    public string? Password { get; }

    /// <summary>True when the URL names only a portal (no target): usable for discovery.</summary>
    public bool IsDiscoveryOnly => TargetName is null;

    /// <summary>The portal as <c>host:port</c> (an IPv6 literal in brackets), for the transport to parse.</summary>
    public string Address => string.Create(CultureInfo.InvariantCulture, $"{(Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host)}:{Port}");

    /// <summary>Parses a URL; throws <see cref="FormatException"/> with the reason when it is not valid.</summary>
    /// <param name="url">The URL text.</param>
    public static IscsiUrl Parse(string url)
    {
        if (!TryParse(url, out IscsiUrl? result, out string? error))
        {
            throw new FormatException(error);
        }

        return result;
    }

    /// <summary>Parses a URL without throwing.</summary>
    /// <param name="url">The URL text.</param>
    /// <param name="result">The parsed URL, or null.</param>
    /// <param name="error">Why the URL is not valid, or null on success.</param>
    public static bool TryParse([NotNullWhen(true)] string? url, [NotNullWhen(true)] out IscsiUrl? result, [NotNullWhen(false)] out string? error)
    {
        result = null;
        if (string.IsNullOrEmpty(url))
        {
            error = "The iSCSI URL is empty.";
            return false;
        }

        if (!url.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            error = $"The iSCSI URL must start with '{Scheme}' (expected iscsi://[user[%password]@]host[:port]/target-iqn/lun).";
            return false;
        }

        string rest = url[Scheme.Length..];
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        string authority = slash < 0 ? rest : rest[..slash];
        string path = slash < 0 ? "" : rest[(slash + 1)..];

        string? user = null;
        string? password = null;
        int at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            string userInfo = authority[..at];
            authority = authority[(at + 1)..];
            // libiscsi separates user and password with the first '%'; the password may contain anything else.
            int separator = userInfo.IndexOf('%', StringComparison.Ordinal);
            string rawUser = separator < 0 ? userInfo : userInfo[..separator];
            string? rawPassword = separator < 0 ? null : userInfo[(separator + 1)..];
            if (rawUser.Length == 0)
            {
                error = "The user name before '@' is empty.";
                return false;
            }

            user = rawUser;

            if (rawPassword is not null)
            {
                if (rawPassword.Length == 0)
                {
                    error = "The password after '%' is empty.";
                    return false;
                }

                password = rawPassword;
            }
        }

        if (!TryParseAuthority(authority, out string? host, out int port, out error))
        {
            return false;
        }

        string? targetName = null;
        ulong? lun = null;
        if (path.Length > 0)
        {
            int lunSlash = path.IndexOf('/', StringComparison.Ordinal);
            string target = lunSlash < 0 ? path : path[..lunSlash];
            if (target.Length == 0)
            {
                error = "The target name after the portal is empty.";
                return false;
            }

            if (Encoding.UTF8.GetByteCount(target) > Text.TextKeyTable.MaxNameLength)
            {
                error = $"The target name is longer than {Text.TextKeyTable.MaxNameLength} bytes (RFC 7143 §4.2.7.1).";
                return false;
            }

            if (!LooksLikeIscsiName(target))
            {
                error = $"'{target}' is not an iSCSI name (expected iqn., eui. or naa.).";
                return false;
            }

            targetName = target;
            if (lunSlash >= 0)
            {
                string lunText = path[(lunSlash + 1)..];
                if (lunText.Length == 0)
                {
                    error = "The LUN after the target name is empty.";
                    return false;
                }

                if (!ulong.TryParse(lunText, NumberStyles.None, CultureInfo.InvariantCulture, out ulong lunValue) || lunValue > 16383)
                {
                    error = $"'{lunText}' is not a LUN (a decimal number from 0 to 16383).";
                    return false;
                }

                lun = lunValue;
            }
        }

        result = new IscsiUrl(host, port, targetName, lun, user, password);
        error = null;
        return true;
    }

    /// <summary>The URL without the password (the user name is kept).</summary>
    public override string ToString()
    {
        var builder = new StringBuilder(Scheme);
        if (User is not null)
        {
            builder.Append(User).Append('@');
        }

        builder.Append(Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host);
        if (Port != DefaultPort)
        {
            builder.Append(':').Append(Port.ToString(CultureInfo.InvariantCulture));
        }

        if (TargetName is not null)
        {
            builder.Append('/').Append(TargetName);
            if (Lun is ulong lun)
            {
                builder.Append('/').Append(lun.ToString(CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    private static bool TryParseAuthority(string authority, [NotNullWhen(true)] out string? host, out int port, [NotNullWhen(false)] out string? error)
    {
        host = null;
        port = DefaultPort;
        string? portText = null;
        if (authority.StartsWith('['))
        {
            int close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = "The IPv6 address is missing its closing ']'.";
                return false;
            }

            string literal = authority[1..close];
            if (!literal.Contains(':', StringComparison.Ordinal) || !IPAddress.TryParse(literal, out _))
            {
                error = $"'{literal}' is not an IPv6 address.";
                return false;
            }

            host = literal;
            string after = authority[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':')
                {
                    error = "Unexpected text after the IPv6 address (expected ':port').";
                    return false;
                }

                portText = after[1..];
            }
        }
        else
        {
            int colon = authority.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0 && authority.IndexOf(':', colon + 1) >= 0)
            {
                error = "An IPv6 address must be written in brackets, e.g. iscsi://[::1]:3260/...";
                return false;
            }

            host = colon < 0 ? authority : authority[..colon];
            portText = colon < 0 ? null : authority[(colon + 1)..];
            if (host.Length == 0)
            {
                error = "The host is empty.";
                return false;
            }

            foreach (char c in host)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
                {
                    error = $"The host '{host}' contains the invalid character '{c}'.";
                    return false;
                }
            }
        }

        if (portText is not null)
        {
            if (portText.Length == 0
                || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port)
                || port is < 1 or > 65535)
            {
                error = $"'{portText}' is not a port (1 to 65535).";
                return false;
            }
        }

        error = null;
        return true;
    }

    private static bool LooksLikeIscsiName(string name) =>
        name.StartsWith("iqn.", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("eui.", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("naa.", StringComparison.OrdinalIgnoreCase);
}
