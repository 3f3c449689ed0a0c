namespace NetScsi.Iscsi.Tests.Pdus;

/// <summary>Hex literals for golden bytes: whitespace between byte pairs is ignored.</summary>
internal static class Hex
{
    public static byte[] Bytes(string hex)
    {
        string compact = string.Concat(hex.Where(c => !char.IsWhiteSpace(c)));
        return Convert.FromHexString(compact);
    }

    public static string Format(ReadOnlySpan<byte> bytes)
    {
        // One 4-byte row per line, so a failing golden comparison points at the row.
        var rows = new List<string>();
        for (int i = 0; i < bytes.Length; i += 4)
        {
            var row = bytes.Slice(i, Math.Min(4, bytes.Length - i));
            rows.Add($"{i,2}: {Convert.ToHexString(row).ToLowerInvariant()}");
        }
        return string.Join('\n', rows);
    }

    /// <summary>Compares as row-formatted text so a mismatch shows the offending 4-byte row.</summary>
    public static void AssertBytes(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual)
        => Assert.Equal(Format(expected), Format(actual));
}
