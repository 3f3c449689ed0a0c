namespace NetScsi.Scsi.Tests;

/// <summary>
/// A fact about files on a memory filesystem: it runs where /dev/shm is tmpfs (every Linux machine CI uses)
/// and is skipped, saying why, elsewhere.
/// </summary>
public sealed class MemoryFileSystemFactAttribute : FactAttribute
{
    public const string Directory = "/dev/shm";

    public MemoryFileSystemFactAttribute()
    {
        if (!IsMemoryFileSystem(Directory))
        {
            Skip = $"{Directory} is not a memory filesystem (tmpfs) here.";
        }
    }

    public static bool IsMemoryFileSystem(string directory) =>
        System.IO.Directory.Exists(directory) && new DriveInfo(directory).DriveFormat is "tmpfs" or "ramfs";
}
