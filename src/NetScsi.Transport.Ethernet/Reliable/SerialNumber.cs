namespace NetScsi.Transport.Ethernet;

/// <summary>Comparison of 32-bit stream offsets that wrap (RFC 1982 serial-number arithmetic, as TCP uses).</summary>
internal static class SerialNumber
{
    public static bool Less(uint a, uint b) => (int)(a - b) < 0;

    public static bool LessOrEqual(uint a, uint b) => (int)(a - b) <= 0;

    public static bool Greater(uint a, uint b) => (int)(a - b) > 0;

    public static uint Max(uint a, uint b) => Greater(a, b) ? a : b;
}
