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
    /// default), after which its lock may be broken. Null owner: nobody holds it. The owner's watch (client id and
    /// cookie) is what <see cref="ProbeWatcher"/> asks.
    /// </summary>
    public unsafe RbdLockOwner GetExclusiveLockOwner()
    {
        Enter();
        try
        {
            nint* owners = stackalloc nint[MaxListed];
            nuint count = MaxListed;
            int rc = LibRbd.LockGetOwners(_image, out _, owners, ref count);
            if (rc == -RbdErrors.ENOENT || (rc == 0 && count == 0))
            {
                return default;
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
                // Unknown: assume it is alive, so that nobody tries to take its lock (no watch to probe either).
                return new RbdLockOwner(owner, true, 0, 0);
            }
            RbdLockOwner found = new(owner, false, 0, 0);
            for (nuint i = 0; i < watcherCount; i++)
            {
                if (!found.Watching && Marshal.PtrToStringUTF8(watchers[i].Address) == owner)
                {
                    found = new RbdLockOwner(owner, true, watchers[i].Id, watchers[i].WatchHandle);
                }
            }
            LibRbd.WatchersListCleanup(watchers, watcherCount);
            return found;
        }
        finally
        {
            Interlocked.Decrement(ref _outstanding);
        }
    }

    /// <summary>
    /// Whether the client watching the image header with <paramref name="watcherId"/>/<paramref name="cookie"/> still
    /// answers: one rados_notify2 on the header object, which every open of the image acks from its own librbd (the
    /// message carries an operation no librbd release defines, which librbd acks and otherwise ignores). False when that
    /// watch did not ack within <paramref name="timeout"/>: a killed gateway's watch lingers on the OSD for
    /// osd_client_watch_timeout, but nothing behind it answers. Blocks up to the timeout; call it off the I/O path.
    /// </summary>
    public unsafe bool ProbeWatcher(long watcherId, ulong cookie, TimeSpan timeout)
    {
        Enter();
        try
        {
            // NotifyMessage as librbd's watcher decodes it: version 1, compat 1, length 4, then the u32 operation.
            byte* message = stackalloc byte[] { 1, 1, 4, 0, 0, 0, 0xEF, 0xBE, 0, 0 };
            int rc = LibRados.Notify2(_connection.IoContext, "rbd_header." + ImageId, message, 10, (ulong)timeout.TotalMilliseconds,
                out byte* reply, out nuint replyLength);
            try
            {
                if (rc == 0)
                {
                    return true;
                }
                if (rc != -RbdErrors.ETIMEDOUT)
                {
                    throw RbdErrors.ToException(rc, "rados_notify2", _name);
                }
                // Somebody did not ack: the reply's timed-out set says who (no reply: count it against the owner).
                return reply is not null && !NotifyReply.TimedOut(new ReadOnlySpan<byte>(reply, checked((int)replyLength)), watcherId, cookie);
            }
            finally
            {
                if (reply is not null)
                {
                    LibRados.BufferFree(reply);
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _outstanding);
        }
    }

    /// <summary>
    /// rbd_lock_break: takes <paramref name="owner"/>'s exclusive lock away after blocklisting it (librbd's
    /// rbd_blocklist_on_break_lock, on by default), so that the old owner can never write to the image again.
    /// </summary>
    public void BreakExclusiveLock(string owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ThrowIfNotWritable();
        Enter();
        try
        {
            int rc = LibRbd.LockBreak(_image, LibRbd.LockModeExclusive, owner);
            if (rc < 0 && rc != -RbdErrors.ENOENT)
            {
                throw RbdErrors.ToException(rc, "rbd_lock_break", _name);
            }
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
