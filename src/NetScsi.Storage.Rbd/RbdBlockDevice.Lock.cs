using System.Runtime.InteropServices;
using NetScsi.Storage.Rbd.Interop;

namespace NetScsi.Storage.Rbd;

public sealed partial class RbdBlockDevice
{
    private const int MaxListed = 64;

    /// <summary>rbd_is_exclusive_lock_owner: this client holds the image's exclusive lock (false when it cannot tell).</summary>
    public bool IsExclusiveLockOwner()
    {
        Enter();
        try
        {
            return LibRbd.IsExclusiveLockOwner(_image, out int owner) == 0 && owner != 0;
        }
        finally
        {
            Interlocked.Decrement(ref _outstanding);
        }
    }

    /// <summary>
    /// Who holds the exclusive lock (rbd_lock_get_owners) and whether that client still watches the image
    /// (rbd_watchers_list): a killed client keeps its watch until the OSDs time it out (osd_client_watch_timeout, 30 s by
    /// default), after which its lock may be broken. Null owner: nobody holds it.
    /// </summary>
    public unsafe (string? Owner, bool OwnerWatching) GetExclusiveLockOwner()
    {
        Enter();
        try
        {
            nint* owners = stackalloc nint[MaxListed];
            nuint count = MaxListed;
            int rc = LibRbd.LockGetOwners(_image, out _, owners, ref count);
            if (rc == -RbdErrors.ENOENT || (rc == 0 && count == 0))
            {
                return (null, false);
            }
            if (rc < 0)
            {
                throw RbdErrors.ToException(rc, "rbd_lock_get_owners", _name);
            }
            string owner = Marshal.PtrToStringUTF8(owners[0]) ?? "";
            LibRbd.LockGetOwnersCleanup(owners, count);

            LibRbd.ImageWatcher* watchers = stackalloc LibRbd.ImageWatcher[MaxListed];
            nuint watcherCount = MaxListed;
            rc = LibRbd.WatchersList(_image, watchers, ref watcherCount);
            if (rc < 0)
            {
                // Unknown: assume it is alive, so that nobody tries to take its lock.
                return (owner, true);
            }
            bool watching = false;
            for (nuint i = 0; i < watcherCount; i++)
            {
                watching |= Marshal.PtrToStringUTF8(watchers[i].Address) == owner;
            }
            LibRbd.WatchersListCleanup(watchers, watcherCount);
            return (owner, watching);
        }
        finally
        {
            Interlocked.Decrement(ref _outstanding);
        }
    }

    /// <summary>
    /// rbd_lock_acquire (exclusive): takes the lock and keeps it (librbd then refuses other clients' requests for it,
    /// so their writes fail read-only). A live owner refuses at once (false); a dead owner's lock is broken, and the
    /// owner blocklisted, once its watch has expired. Blocks while librbd waits; call it off the I/O path.
    /// </summary>
    public bool TryAcquireExclusiveLock()
    {
        ThrowIfNotWritable();
        Enter();
        try
        {
            return LibRbd.LockAcquire(_image, LibRbd.LockModeExclusive) == 0;
        }
        finally
        {
            Interlocked.Decrement(ref _outstanding);
        }
    }
}
