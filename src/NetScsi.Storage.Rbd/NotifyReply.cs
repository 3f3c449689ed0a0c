using System.Buffers.Binary;

namespace NetScsi.Storage.Rbd;

/// <summary>Who holds an image's exclusive lock: null <see cref="Owner"/> for nobody; the owner's header watch when it still has one.</summary>
/// <param name="Owner">The owner as librbd names it (its client address), or null.</param>
/// <param name="Watching">Whether that client still watches the image header.</param>
/// <param name="WatcherId">The watching client's id (its global id), when watching.</param>
/// <param name="WatchCookie">Its watch's cookie, when watching.</param>
public readonly record struct RbdLockOwner(string? Owner, bool Watching, long WatcherId, ulong WatchCookie);

/// <summary>
/// The reply rados_notify2 hands back, in Ceph's little-endian encoding: the acks, a map from (client id, cookie) to
/// the ack's payload (u32 count; per entry u64, u64, u32 length, bytes), then the timed-out watches, a set of
/// (client id, cookie) (u32 count; per entry u64, u64). No I/O.
/// </summary>
internal static class NotifyReply
{
    /// <summary>Whether (<paramref name="watcherId"/>, <paramref name="cookie"/>) is in the timed-out set; a reply too short to read counts as timed out.</summary>
    public static bool TimedOut(ReadOnlySpan<byte> reply, long watcherId, ulong cookie)
    {
        if (!TrySkipAcks(ref reply) || reply.Length < 4)
        {
            return true;
        }
        uint timeouts = BinaryPrimitives.ReadUInt32LittleEndian(reply);
        reply = reply[4..];
        for (uint i = 0; i < timeouts; i++)
        {
            if (reply.Length < 16)
            {
                return true;
            }
            if (BinaryPrimitives.ReadUInt64LittleEndian(reply) == (ulong)watcherId && BinaryPrimitives.ReadUInt64LittleEndian(reply[8..]) == cookie)
            {
                return true;
            }
            reply = reply[16..];
        }
        return false;
    }

    private static bool TrySkipAcks(ref ReadOnlySpan<byte> reply)
    {
        if (reply.Length < 4)
        {
            return false;
        }
        uint acks = BinaryPrimitives.ReadUInt32LittleEndian(reply);
        reply = reply[4..];
        for (uint i = 0; i < acks; i++)
        {
            if (reply.Length < 20)
            {
                return false;
            }
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(reply[16..]);
            if ((ulong)reply.Length < 20UL + length)
            {
                return false;
            }
            reply = reply[(20 + (int)length)..];
        }
        return true;
    }
}
