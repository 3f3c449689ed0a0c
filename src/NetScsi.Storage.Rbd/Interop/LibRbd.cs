using System.Runtime.InteropServices;

namespace NetScsi.Storage.Rbd.Interop;

/// <summary>
/// The part of librbd's C API (librbd.h, Debian package librbd1) the RBD block device uses. Asynchronous calls
/// take a completion made by <see cref="AioCreateCompletion"/>, whose callback librbd runs on one of its own
/// threads when the operation is done; returns are 0 (or a byte count) or a negative errno.
/// </summary>
internal static unsafe partial class LibRbd
{
    public const string Library = "librbd.so.1";

    [LibraryImport(Library, EntryPoint = "rbd_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Create(nint ioctx, string name, ulong size, ref int order);

    [LibraryImport(Library, EntryPoint = "rbd_remove", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Remove(nint ioctx, string name);

    [LibraryImport(Library, EntryPoint = "rbd_open", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(nint ioctx, string name, out nint image, string? snapName);

    [LibraryImport(Library, EntryPoint = "rbd_open_read_only", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int OpenReadOnly(nint ioctx, string name, out nint image, string? snapName);

    [LibraryImport(Library, EntryPoint = "rbd_close")]
    public static partial int Close(nint image);

    [LibraryImport(Library, EntryPoint = "rbd_get_size")]
    public static partial int GetSize(nint image, out ulong size);

    [LibraryImport(Library, EntryPoint = "rbd_get_id")]
    public static partial int GetId(nint image, byte* id, nuint idLength);

    [LibraryImport(Library, EntryPoint = "rbd_aio_create_completion")]
    public static partial int AioCreateCompletion(nint callbackArg, delegate* unmanaged<nint, nint, void> callback, out nint completion);

    [LibraryImport(Library, EntryPoint = "rbd_aio_get_return_value")]
    public static partial nint AioGetReturnValue(nint completion);

    [LibraryImport(Library, EntryPoint = "rbd_aio_release")]
    public static partial void AioRelease(nint completion);

    [LibraryImport(Library, EntryPoint = "rbd_aio_read")]
    public static partial int AioRead(nint image, ulong offset, nuint length, byte* buffer, nint completion);

    [LibraryImport(Library, EntryPoint = "rbd_aio_write")]
    public static partial int AioWrite(nint image, ulong offset, nuint length, byte* buffer, nint completion);

    [LibraryImport(Library, EntryPoint = "rbd_aio_discard")]
    public static partial int AioDiscard(nint image, ulong offset, ulong length, nint completion);

    [LibraryImport(Library, EntryPoint = "rbd_aio_write_zeroes")]
    public static partial int AioWriteZeroes(nint image, ulong offset, nuint length, nint completion, int zeroFlags, int opFlags);

    [LibraryImport(Library, EntryPoint = "rbd_aio_writesame")]
    public static partial int AioWriteSame(nint image, ulong offset, nuint length, byte* buffer, nuint dataLength, nint completion, int opFlags);

    /// <summary>-EILSEQ when the compare fails, with the image offset of the first differing byte in <paramref name="mismatchOffset"/>.</summary>
    [LibraryImport(Library, EntryPoint = "rbd_aio_compare_and_write")]
    public static partial nint AioCompareAndWrite(nint image, ulong offset, nuint length, byte* compare, byte* buffer, nint completion, ulong* mismatchOffset, int opFlags);

    [LibraryImport(Library, EntryPoint = "rbd_get_stripe_unit")]
    public static partial int GetStripeUnit(nint image, out ulong stripeUnit);

    [LibraryImport(Library, EntryPoint = "rbd_get_stripe_count")]
    public static partial int GetStripeCount(nint image, out ulong stripeCount);

    [LibraryImport(Library, EntryPoint = "rbd_aio_flush")]
    public static partial int AioFlush(nint image, nint completion);

    [LibraryImport(Library, EntryPoint = "rbd_diff_iterate2", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int DiffIterate2(nint image, string? fromSnapName, ulong offset, ulong length, byte includeParent, byte wholeObject,
        delegate* unmanaged<ulong, nuint, int, nint, int> callback, nint arg);

    [LibraryImport(Library, EntryPoint = "rbd_update_watch")]
    public static partial int UpdateWatch(nint image, out ulong handle, delegate* unmanaged<nint, void> callback, nint arg);

    [LibraryImport(Library, EntryPoint = "rbd_update_unwatch")]
    public static partial int UpdateUnwatch(nint image, ulong handle);

    /// <summary>RBD_LOCK_MODE_EXCLUSIVE.</summary>
    public const int LockModeExclusive = 0;

    [LibraryImport(Library, EntryPoint = "rbd_is_exclusive_lock_owner")]
    public static partial int IsExclusiveLockOwner(nint image, out int isOwner);

    [LibraryImport(Library, EntryPoint = "rbd_lock_acquire")]
    public static partial int LockAcquire(nint image, int lockMode);

    /// <summary>rbd_lock_break: removes another client's lock; with rbd_blocklist_on_break_lock (the default) it blocklists that client first.</summary>
    [LibraryImport(Library, EntryPoint = "rbd_lock_break", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int LockBreak(nint image, int lockMode, string lockOwner);

    [LibraryImport(Library, EntryPoint = "rbd_lock_get_owners")]
    public static partial int LockGetOwners(nint image, out int lockMode, nint* lockOwners, ref nuint maxLockOwners);

    [LibraryImport(Library, EntryPoint = "rbd_lock_get_owners_cleanup")]
    public static partial void LockGetOwnersCleanup(nint* lockOwners, nuint lockOwnerCount);

    [LibraryImport(Library, EntryPoint = "rbd_watchers_list")]
    public static partial int WatchersList(nint image, ImageWatcher* watchers, ref nuint maxWatchers);

    [LibraryImport(Library, EntryPoint = "rbd_watchers_list_cleanup")]
    public static partial void WatchersListCleanup(ImageWatcher* watchers, nuint count);

    /// <summary>rbd_image_watcher_t: a client watching the image header (every open image watches it).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ImageWatcher
    {
        public nint Address;
        public long Id;
        public ulong WatchHandle;
    }
}
