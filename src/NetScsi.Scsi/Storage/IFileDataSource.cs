using Microsoft.Win32.SafeHandles;

namespace NetScsi.Scsi.Storage;

/// <summary>Stored data that is bytes of an open file, at the same offsets: a transport can send it with sendfile(2).</summary>
public interface IFileDataSource : IStoredDataSource
{
    /// <summary>The file.</summary>
    SafeFileHandle File { get; }
}
