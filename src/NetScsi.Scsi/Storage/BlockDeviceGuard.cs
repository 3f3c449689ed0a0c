using System.Diagnostics.CodeAnalysis;

namespace NetScsi.Scsi.Storage;

/// <summary>
/// Argument checks shared by the block devices. The logical unit validates a CDB's LBA range before it
/// reaches storage (SBC-4: LOGICAL BLOCK ADDRESS OUT OF RANGE), so a failure here is a caller bug and
/// surfaces as an <see cref="ArgumentException"/>, never as a medium error.
/// </summary>
internal static class BlockDeviceGuard
{
    /// <summary>Largest logical block we accept; a block must never straddle a memory chunk.</summary>
    internal const int MaxBlockSize = 64 * 1024;

    /// <summary>Validates the block size and returns the block count for <paramref name="sizeBytes"/>.</summary>
    public static long ValidateGeometry(long sizeBytes, int blockSize)
    {
        ValidateBlockSize(blockSize);
        if (sizeBytes <= 0 || sizeBytes % blockSize != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(sizeBytes), sizeBytes,
                $"The device size must be a positive multiple of the block size ({blockSize} bytes).");
        }

        return sizeBytes / blockSize;
    }

    public static void ValidateBlockSize(int blockSize)
    {
        // SBC-4 allows other sizes, but initiators (and the Linux sd driver) expect a power of two;
        // 512 and 4096 are what the SCSI layer advertises today.
        if (blockSize < 512 || blockSize > MaxBlockSize || !int.IsPow2(blockSize))
        {
            throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize,
                $"The block size must be a power of two between 512 and {MaxBlockSize} bytes.");
        }
    }

    /// <summary>Checks that a transfer of <paramref name="byteLength"/> bytes at <paramref name="lba"/> is whole blocks inside the device.</summary>
    public static void ThrowIfInvalidTransfer(long lba, int byteLength, int blockSize, long blockCount)
    {
        // blockSize is a power of two (ValidateBlockSize), so the mask test is the modulo.
        if ((byteLength & (blockSize - 1)) != 0)
        {
            ThrowNotWholeBlocks(byteLength, blockSize);
        }

        ThrowIfInvalidRange(lba, byteLength / blockSize, blockCount);
    }

    /// <summary>Checks that <paramref name="count"/> blocks at <paramref name="lba"/> lie inside the device.</summary>
    public static void ThrowIfInvalidRange(long lba, long count, long blockCount)
    {
        // Written so that nothing overflows: lba ≤ blockCount first, then count ≤ what is left.
        if ((ulong)lba > (ulong)blockCount || (ulong)count > (ulong)(blockCount - lba))
        {
            ThrowOutOfRange(lba, count, blockCount);
        }
    }

    public static void ThrowIfInvalidLba(long lba, long blockCount)
    {
        if ((ulong)lba >= (ulong)blockCount)
        {
            ThrowOutOfRange(lba, 1, blockCount);
        }
    }

    [DoesNotReturn]
    private static void ThrowNotWholeBlocks(int byteLength, int blockSize) =>
        throw new ArgumentException($"The buffer length {byteLength} is not a whole number of {blockSize}-byte blocks.", "buffer");

    [DoesNotReturn]
    private static void ThrowOutOfRange(long lba, long count, long blockCount) =>
        throw new ArgumentOutOfRangeException(nameof(lba), lba,
            $"Blocks [{lba}, {lba} + {count}) are outside the device's {blockCount} blocks.");

    [DoesNotReturn]
    public static void ThrowReadOnly() =>
        throw new InvalidOperationException("The block device is read-only.");
}
