using NetScsi.Scsi.Storage;

namespace NetScsi.Storage.Rbd;

/// <summary>
/// librados/librbd's negative errnos as the exceptions the logical unit maps to sense data: cluster out of reach
/// (timeouts, blocklisted, lost exclusive lock) → <see cref="StorageNotReadyException"/> (NOT READY); out of space →
/// an <see cref="IOException"/> whose HResult is ENOSPC (SPACE ALLOCATION FAILED); anything else → <see cref="IOException"/>
/// (MEDIUM ERROR).
/// </summary>
internal static class RbdErrors
{
    public const int ENOENT = 2;
    public const int EIO = 5;
    public const int EACCES = 13;
    public const int EROFS = 30;
    public const int ENOSPC = 28;
    public const int EDQUOT = 122;
    public const int ETIMEDOUT = 110;
    public const int ESHUTDOWN = 108; // Ceph's EBLOCKLISTED
    public const int ENOTCONN = 107;
    public const int ECONNREFUSED = 111;
    public const int EPERM = 1;
    public const int EILSEQ = 84; // compare-and-write: the compare failed

    public static IOException ToException(int rc, string operation, string image)
    {
        int errno = -rc;
        string message = $"{operation} on RBD image {image} failed: {Describe(errno)} (errno {errno})";
        IOException exception = errno switch
        {
            ETIMEDOUT or ESHUTDOWN or ENOTCONN or ECONNREFUSED => new StorageNotReadyException(message),
            // Written through a lock another client took (a second gateway): this one may no longer write for now.
            EROFS => new StorageNotReadyException(message),
            _ => new IOException(message),
        };
        exception.HResult = errno is EDQUOT ? ENOSPC : errno;
        return exception;
    }

    public static string Describe(int errno) => errno switch
    {
        ENOENT => "no such pool or image",
        EIO => "input/output error",
        EPERM or EACCES => "permission denied (check the client id, its keyring and caps)",
        EROFS => "read-only (the image's exclusive lock is held by another client)",
        ENOSPC or EDQUOT => "no space left (pool full or quota reached)",
        ETIMEDOUT => "timed out (the cluster did not answer)",
        ESHUTDOWN => "this client was blocklisted by the cluster",
        ENOTCONN => "not connected to the cluster",
        ECONNREFUSED => "connection refused",
        22 => "invalid argument",
        _ => "error",
    };
}
