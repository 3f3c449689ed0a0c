namespace NetScsi.Scsi.Storage;

/// <summary>
/// A block device whose size can change while it serves I/O (online LUN resize). The logical unit notices
/// the new <see cref="IBlockDevice.BlockCount"/> on the next command and raises CAPACITY DATA HAS CHANGED
/// (SBC-4 §4.10) on every I_T nexus.
/// </summary>
public interface IResizableBlockDevice : IBlockDevice
{
    /// <summary>The largest block count <see cref="ResizeAsync"/> accepts.</summary>
    long MaxBlockCount { get; }

    /// <summary>
    /// Makes the device <paramref name="blockCount"/> blocks long. Growing adds blocks that read as zeros;
    /// shrinking drops the tail's data (callers ask for confirmation first). Commands already past their
    /// range check when the device shrinks under them may fail with an I/O error.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="blockCount"/> is below 1 or above <see cref="MaxBlockCount"/>.</exception>
    /// <exception cref="InvalidOperationException">The device is read-only.</exception>
    /// <exception cref="IOException">The backing store refused the new size.</exception>
    ValueTask ResizeAsync(long blockCount, CancellationToken cancellationToken = default);
}
