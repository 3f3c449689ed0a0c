using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using NetScsi.Transport.Ethernet;

namespace NetScsi.Transport.Aoe;

/// <summary>
/// Where an AoE target listens: an interface and the shelf (AoE major address) its slots answer as. Text form
/// <c>aoe:IFACE,shelf=S</c> (shelf 0 to 65534; 65535 is the broadcast address).
/// </summary>
public sealed record AoePortal(string Interface, ushort Shelf) : Portal
{
    public const string TransportName = "aoe";

    public override string Transport => TransportName;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{TransportName}:{Interface},shelf={Shelf}");

    /// <summary>Parses <c>aoe:IFACE,shelf=S</c> (the prefix is required; the shelf too).</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out AoePortal? portal, [NotNullWhen(false)] out string? error)
    {
        portal = null;
        string s = (text ?? "").Trim();
        if (!s.StartsWith(TransportName + ":", StringComparison.OrdinalIgnoreCase))
        {
            error = "an AoE portal is aoe:IFACE,shelf=S";
            return false;
        }

        string[] parts = s[(TransportName.Length + 1)..].Split(',');
        if (!EthernetPortal.IsInterfaceName(parts[0], out error))
        {
            return false;
        }

        int? shelf = null;
        foreach (string part in parts.AsSpan(1))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            string key = eq < 0 ? part : part[..eq];
            string value = eq < 0 ? "" : part[(eq + 1)..];
            if (!key.Equals("shelf", StringComparison.OrdinalIgnoreCase))
            {
                error = $"unknown AoE portal option '{key}' (expected shelf=S)";
                return false;
            }

            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n > AoeHeader.BroadcastMajor - 1)
            {
                error = $"shelf '{value}' is not a number in 0..{AoeHeader.BroadcastMajor - 1}";
                return false;
            }

            shelf = n;
        }

        if (shelf is null)
        {
            error = "an AoE portal needs its shelf: aoe:IFACE,shelf=S";
            return false;
        }

        portal = new AoePortal(parts[0], (ushort)shelf.Value);
        error = null;
        return true;
    }
}
