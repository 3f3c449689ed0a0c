using System.Runtime.InteropServices;

namespace NetScsi.Interop.Tests;

/// <summary>The few libc calls .NET has no API for: sending SIGTERM, and reading a file that another
/// process holds an flock on (FileStream takes a shared flock of its own and fails).</summary>
internal static partial class LibC
{
    public const int SigTerm = 15;

    private const int ORdOnly = 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static unsafe partial nint PRead(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    /// <summary>Reads up to buffer.Length bytes at offset; returns the count read, or -1 on error.</summary>
    public static unsafe int ReadAt(string path, Span<byte> buffer, long offset)
    {
        int fd = Open(path, ORdOnly);
        if (fd < 0)
        {
            return -1;
        }
        try
        {
            int total = 0;
            fixed (byte* start = buffer)
            {
                while (total < buffer.Length)
                {
                    nint n = PRead(fd, start + total, (nuint)(buffer.Length - total), offset + total);
                    if (n <= 0)
                    {
                        return n < 0 ? -1 : total;
                    }
                    total += (int)n;
                }
            }
            return total;
        }
        finally
        {
            _ = Close(fd);
        }
    }
}
