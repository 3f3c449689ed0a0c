using NetScsi.Cli.Configuration;

namespace NetScsi.Cli.Copy;

/// <summary>What the fixed-size endpoints (LUNs, block devices, AoE devices) share.</summary>
internal static class CopyEndpoints
{
    private static readonly byte[] s_zeros = new byte[1024 * 1024];

    /// <summary>A destination of fixed size refuses a longer source before anything is written (exit 2).</summary>
    /// <param name="length">Bytes the copy will write.</param>
    /// <param name="capacity">The destination's size in bytes.</param>
    /// <param name="name">The destination as the message names it.</param>
    public static void EnsureFits(long length, long capacity, string name)
    {
        if (length > capacity)
        {
            throw CliException.Usage($"the source ({length} bytes) does not fit on {name} ({capacity} bytes)");
        }
    }

    /// <summary>
    /// Writes <paramref name="length"/> zero bytes at <paramref name="offset"/> as ordinary data, at most a mebibyte
    /// (whole blocks of <paramref name="destination"/>) per write.
    /// </summary>
    public static async ValueTask WriteZeroDataAsync(ICopyEndpoint destination, long offset, long length, CancellationToken cancellationToken)
    {
        int blockSize = destination.BlockSize;
        ReadOnlyMemory<byte> zeros = blockSize <= s_zeros.Length ? s_zeros.AsMemory(0, s_zeros.Length / blockSize * blockSize) : new byte[blockSize];
        for (long done = 0; done < length;)
        {
            int n = (int)Math.Min(zeros.Length, length - done);
            await destination.WriteAsync(offset + done, zeros[..n], cancellationToken).ConfigureAwait(false);
            done += n;
        }
    }
}
