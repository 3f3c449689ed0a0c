using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace NetScsi.Transport.Aoe.Client;

/// <summary>
/// An AoE device's address as the tools take it: <c>aoe://IFACE/SHELF.SLOT</c> (the interface the client sends on, the
/// target's shelf 0-65534 and slot 0-254, the broadcast values being no device). The portal form <c>aoe:IFACE</c>
/// names the segment for discovery.
/// </summary>
public sealed record AoeUrl(string Interface, ushort Shelf, byte Slot)
{
    public const string Scheme = "aoe";

    public static bool IsAoeUrl(string text) => text.StartsWith(Scheme + "://", StringComparison.OrdinalIgnoreCase);

    public static bool IsAoePortal(string text) =>
        text.StartsWith(Scheme + ":", StringComparison.OrdinalIgnoreCase) && !IsAoeUrl(text);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"aoe://{Interface}/{Shelf}.{Slot}");

    public static bool TryParse(string text, [NotNullWhen(true)] out AoeUrl? url, [NotNullWhen(false)] out string? error)
    {
        url = null;
        if (!IsAoeUrl(text))
        {
            error = "expected aoe://IFACE/SHELF.SLOT";
            return false;
        }

        string rest = text[(Scheme.Length + 3)..];
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            error = "expected aoe://IFACE/SHELF.SLOT (no interface or no device)";
            return false;
        }

        string iface = rest[..slash];
        if (!IsInterfaceName(iface))
        {
            error = $"'{iface}' is not an interface name (1 to 15 characters, no '/', ':' or spaces)";
            return false;
        }

        string device = rest[(slash + 1)..].TrimEnd('/');
        int dot = device.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0
            || !ushort.TryParse(device.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out ushort shelf)
            || !byte.TryParse(device.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out byte slot))
        {
            error = $"'{device}' is not SHELF.SLOT (shelf 0-65534, slot 0-254, as in e1.0)";
            return false;
        }

        if (shelf == AoeHeader.BroadcastMajor || slot == AoeHeader.BroadcastMinor)
        {
            error = $"'{device}': shelf 65535 and slot 255 are the broadcast addresses, not a device";
            return false;
        }

        url = new AoeUrl(iface, shelf, slot);
        error = null;
        return true;
    }

    /// <summary>Parses <c>aoe:IFACE</c>.</summary>
    public static bool TryParsePortal(string text, [NotNullWhen(true)] out string? interfaceName, [NotNullWhen(false)] out string? error)
    {
        interfaceName = null;
        if (!IsAoePortal(text) || !IsInterfaceName(text[(Scheme.Length + 1)..]))
        {
            error = "expected aoe:IFACE";
            return false;
        }

        interfaceName = text[(Scheme.Length + 1)..];
        error = null;
        return true;
    }

    private static bool IsInterfaceName(string name) =>
        name.Length is > 0 and < 16 && name.AsSpan().IndexOfAny("/: \t") < 0;
}
