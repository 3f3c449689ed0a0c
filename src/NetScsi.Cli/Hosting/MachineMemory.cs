using System.Globalization;

namespace NetScsi.Cli.Hosting;

/// <summary>
/// How much memory this process could ever fill: the memory the runtime sees (RAM, or the cgroup's limit
/// in a container) plus swap. A memory LUN larger than that can never be written in full; the process
/// would be killed part way, taking every other LUN with it.
/// </summary>
internal static class MachineMemory
{
    private const string MemInfoPath = "/proc/meminfo";

    private const long BytesPerKib = 1024;

    public static long CapacityBytes()
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return available + SwapBytes();
    }

    // "SwapTotal:       2097148 kB" in /proc/meminfo; 0 where there is none (or no /proc).
    private static long SwapBytes()
    {
        try
        {
            foreach (var line in File.ReadLines(MemInfoPath))
            {
                if (line.StartsWith("SwapTotal:", StringComparison.Ordinal))
                {
                    var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return fields.Length >= 2 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kib)
                        ? kib * BytesPerKib
                        : 0;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No /proc (not Linux): count RAM only.
        }

        return 0;
    }
}
