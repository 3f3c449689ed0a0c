namespace NetScsi.Storage.Rbd;

/// <summary>
/// An RBD image could not be opened: librbd or librados missing, no configuration, cluster unreachable, no such pool or
/// image. The message says which and what to do; <see cref="Errno"/> is librados' errno (0 when librbd is not installed).
/// </summary>
public sealed class RbdException : IOException
{
    public RbdException(string message, int errno, Exception? innerException = null)
        : base(message, innerException)
    {
        Errno = errno;
    }

    public int Errno { get; }
}
