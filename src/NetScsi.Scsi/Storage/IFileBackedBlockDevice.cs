using Microsoft.Win32.SafeHandles;

namespace NetScsi.Scsi.Storage;

/// <summary>
/// A block device whose blocks are bytes of an open file, which a transport may send to the initiator
/// itself (sendfile(2)) instead of the logical unit reading them into a buffer first.
/// </summary>
public interface IFileBackedBlockDevice : IBlockDevice
{
    /// <summary>
    /// The file and byte offset holding block <paramref name="lba"/>, when reads from there can go straight from
    /// the file: false when reading could wait for storage (the sender would stall the connection while it
    /// holds it) or fail with an I/O error that, sent this late, could no longer become MEDIUM ERROR.
    /// </summary>
    bool TryGetFileRegion(long lba, long blockCount, out SafeFileHandle file, out long offset);
}
