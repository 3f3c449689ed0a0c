using System.Runtime.InteropServices;

namespace NetScsi.Storage.Rbd.Interop;

/// <summary>
/// The part of librados' C API (librados.h, Debian package librados2) a block device needs: a cluster handle,
/// its configuration, and an I/O context on one pool. Every call returns 0 or a negative errno.
/// </summary>
internal static partial class LibRados
{
    public const string Library = "librados.so.2";

    [LibraryImport(Library, EntryPoint = "rados_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Create(out nint cluster, string? id);

    [LibraryImport(Library, EntryPoint = "rados_conf_read_file", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ConfReadFile(nint cluster, string? path);

    [LibraryImport(Library, EntryPoint = "rados_conf_parse_env", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ConfParseEnv(nint cluster, string? variable);

    [LibraryImport(Library, EntryPoint = "rados_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ConfSet(nint cluster, string option, string value);

    [LibraryImport(Library, EntryPoint = "rados_conf_get", StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int ConfGet(nint cluster, string option, byte* buffer, nuint length);

    [LibraryImport(Library, EntryPoint = "rados_connect")]
    public static partial int Connect(nint cluster);

    [LibraryImport(Library, EntryPoint = "rados_shutdown")]
    public static partial void Shutdown(nint cluster);

    [LibraryImport(Library, EntryPoint = "rados_cluster_fsid")]
    public static unsafe partial int ClusterFsid(nint cluster, byte* buffer, nuint length);

    [LibraryImport(Library, EntryPoint = "rados_ioctx_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int IoctxCreate(nint cluster, string poolName, out nint ioctx);

    [LibraryImport(Library, EntryPoint = "rados_ioctx_destroy")]
    public static partial void IoctxDestroy(nint ioctx);

    [LibraryImport(Library, EntryPoint = "rados_ioctx_get_id")]
    public static partial long IoctxGetId(nint ioctx);

    /// <summary>
    /// rados_notify2: sends a notification to every watcher of an object and waits up to timeoutMs for their acks;
    /// the reply (free it with <see cref="BufferFree"/>) lists who acked and who timed out. -ETIMEDOUT when one did not.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "rados_notify2", StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int Notify2(nint ioctx, string objectName, byte* buffer, int length, ulong timeoutMs, out byte* reply, out nuint replyLength);

    [LibraryImport(Library, EntryPoint = "rados_buffer_free")]
    public static unsafe partial void BufferFree(byte* buffer);
}
