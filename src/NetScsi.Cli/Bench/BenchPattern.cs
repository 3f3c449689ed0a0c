namespace NetScsi.Cli.Bench;

/// <summary>fio's rw= vocabulary.</summary>
internal enum BenchPattern
{
    Read,
    Write,
    RandRead,
    RandWrite,
    RandRw,
}

internal static class BenchPatterns
{
    public static bool TryParse(string text, out BenchPattern pattern)
    {
        switch (text.ToLowerInvariant())
        {
            case "read": pattern = BenchPattern.Read; return true;
            case "write": pattern = BenchPattern.Write; return true;
            case "randread": pattern = BenchPattern.RandRead; return true;
            case "randwrite": pattern = BenchPattern.RandWrite; return true;
            case "randrw": pattern = BenchPattern.RandRw; return true;
            default: pattern = default; return false;
        }
    }

    public static string Name(BenchPattern pattern) => pattern.ToString().ToLowerInvariant();

    public static bool IsRandom(BenchPattern pattern) => pattern is BenchPattern.RandRead or BenchPattern.RandWrite or BenchPattern.RandRw;
}
