namespace NetScsi.Cli.Parsing;

/// <summary>HeaderDigest/DataDigest values as RFC 7143 §13.1 spells them: None or CRC32C (any case).</summary>
internal static class DigestParser
{
    public static bool TryParse(string text, out bool crc32c)
    {
        crc32c = text.Equals("CRC32C", StringComparison.OrdinalIgnoreCase);
        return crc32c || text.Equals("None", StringComparison.OrdinalIgnoreCase);
    }

    public static string Format(bool crc32c) => crc32c ? "CRC32C" : "None";
}
