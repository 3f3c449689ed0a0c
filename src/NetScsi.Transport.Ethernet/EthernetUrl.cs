using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace NetScsi.Transport.Ethernet;

/// <summary>
/// An initiator's URL for a LUN over raw Ethernet, shaped like libiscsi's <c>iscsi://</c> URLs:
/// <c>eth://[USER%SECRET@]IFACE/MAC/TARGET-IQN[/LUN]</c>, or <c>eth://IFACE/MAC</c> for discovery. IFACE is the local
/// interface on the target's segment, MAC the target interface's address; without it
/// (<c>eth://IFACE/TARGET-IQN[/LUN]</c>) the portal has no peer and the target is found by discovery on the segment.
/// </summary>
/// <param name="Portal">The local interface and the target's MAC.</param>
/// <param name="TargetName">The target's iSCSI name, or null (discovery).</param>
/// <param name="Lun">The LUN, or null when the URL names none.</param>
/// <param name="User">CHAP user, or null.</param>
/// <param name="Password">CHAP secret, or null.</param>
public sealed record EthernetUrl(EthernetPortal Portal, string? TargetName, ulong? Lun, string? User, string? Password)
{
    /// <summary>The scheme, with its separator.</summary>
    public const string Scheme = EthernetTransport.TransportName + "://";

    /// <summary>The largest LUN the flat addressing the CLI uses can name.</summary>
    private const ulong MaxLun = 16383;

    /// <summary>True when the text starts with <see cref="Scheme"/>.</summary>
    public static bool IsEthernetUrl(string text) => text.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    public static bool TryParse(string? text, [NotNullWhen(true)] out EthernetUrl? url, [NotNullWhen(false)] out string? error)
    {
        url = null;
        if (text is null || !IsEthernetUrl(text))
        {
            error = $"an Ethernet URL starts with {Scheme} (eth://IFACE/MAC/TARGET-IQN/LUN)";
            return false;
        }

        string rest = text[Scheme.Length..];
        string? user = null;
        string? password = null;
        int firstSlash = rest.IndexOf('/', StringComparison.Ordinal);
        int at = rest.LastIndexOf('@', firstSlash < 0 ? rest.Length - 1 : firstSlash);
        if (at >= 0)
        {
            string userInfo = rest[..at];
            int percent = userInfo.IndexOf('%', StringComparison.Ordinal);
            user = Uri.UnescapeDataString(percent < 0 ? userInfo : userInfo[..percent]);
            password = percent < 0 ? null : Uri.UnescapeDataString(userInfo[(percent + 1)..]);
            if (user.Length == 0)
            {
                error = "the user name before '@' is empty";
                return false;
            }

            rest = rest[(at + 1)..];
        }

        string[] parts = rest.TrimEnd('/').Split('/');
        if (parts.Length >= 2 && parts.Length <= 3 && LooksLikeIscsiName(parts[1]))
        {
            // eth://IFACE/TARGET-IQN[/LUN]: no MAC, the target is to be found by discovery on the segment.
            parts = [parts[0], "", .. parts[1..]];
        }
        else if (parts.Length < 2 || parts[1].Length == 0)
        {
            error = "the URL needs the interface and the target's MAC or name: eth://IFACE[/MAC]/TARGET-IQN/LUN";
            return false;
        }

        if (parts.Length > 4)
        {
            error = $"'{rest}' has too many parts (expected IFACE/MAC/TARGET-IQN/LUN)";
            return false;
        }

        if (!EthernetPortal.TryParse(parts[1].Length == 0 ? parts[0] : parts[0] + "/" + parts[1], out EthernetPortal? portal, out error))
        {
            return false;
        }

        string? target = parts.Length > 2 ? Uri.UnescapeDataString(parts[2]) : null;
        if (target is { Length: 0 })
        {
            error = "the target name is empty";
            return false;
        }

        ulong? lun = null;
        if (parts.Length > 3)
        {
            if (!ulong.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out ulong value) || value > MaxLun)
            {
                error = $"'{parts[3]}' is not a LUN (0 to {MaxLun})";
                return false;
            }

            lun = value;
        }

        url = new EthernetUrl(portal, target, lun, user, password);
        error = null;
        return true;
    }

    private static bool LooksLikeIscsiName(string text) =>
        text.StartsWith("iqn.", StringComparison.OrdinalIgnoreCase) || text.StartsWith("eui.", StringComparison.OrdinalIgnoreCase)
        || text.StartsWith("naa.", StringComparison.OrdinalIgnoreCase);

    /// <summary>The URL without credentials.</summary>
    public override string ToString()
    {
        string where = Portal.Peer is { } mac ? $"{Scheme}{Portal.Interface}/{mac}" : $"{Scheme}{Portal.Interface}";
        return TargetName is null ? where : Lun is { } lun ? $"{where}/{TargetName}/{lun}" : $"{where}/{TargetName}";
    }
}
