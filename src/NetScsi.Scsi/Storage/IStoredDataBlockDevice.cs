namespace NetScsi.Scsi.Storage;

/// <summary>
/// A block device that can leave read data where it is stored (<see cref="StoredData"/>) for a transport that sends
/// it from there itself, instead of the logical unit reading it into the task's buffer first.
/// </summary>
public interface IStoredDataBlockDevice : IBlockDevice
{
    /// <summary>
    /// Where blocks <paramref name="lba"/> .. + <paramref name="blockCount"/> are stored, when reads can go straight
    /// from there: false when reading could wait for storage (the sender would stall the connection while it holds it)
    /// or fail with an I/O error that, sent this late, could no longer become MEDIUM ERROR.
    /// </summary>
    bool TryGetStoredData(long lba, long blockCount, out StoredData data);
}
