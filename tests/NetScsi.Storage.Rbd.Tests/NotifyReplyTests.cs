using System.Buffers.Binary;

namespace NetScsi.Storage.Rbd.Tests;

/// <summary>Reading rados_notify2's reply: who acked, who timed out (no cluster needed).</summary>
public sealed class NotifyReplyTests
{
    private static byte[] Reply((ulong Id, ulong Cookie, byte[] Payload)[] acks, (ulong Id, ulong Cookie)[] timeouts)
    {
        var bytes = new List<byte>();
        void U32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); bytes.AddRange(b); }
        void U64(ulong v) { var b = new byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(b, v); bytes.AddRange(b); }
        U32((uint)acks.Length);
        foreach (var (id, cookie, payload) in acks)
        {
            U64(id); U64(cookie); U32((uint)payload.Length); bytes.AddRange(payload);
        }
        U32((uint)timeouts.Length);
        foreach (var (id, cookie) in timeouts)
        {
            U64(id); U64(cookie);
        }
        return [.. bytes];
    }

    [Fact]
    public void TheWatchInTheTimedOutSet_TimedOut_OnesThatAcked_DidNot()
    {
        byte[] reply = Reply([(4100, 7, [1, 2, 3]), (4200, 9, [])], [(4300, 11), (4400, 12)]);
        Assert.True(NotifyReply.TimedOut(reply, 4300, 11));
        Assert.True(NotifyReply.TimedOut(reply, 4400, 12));
        Assert.False(NotifyReply.TimedOut(reply, 4100, 7));
        Assert.False(NotifyReply.TimedOut(reply, 4300, 12)); // same client, other watch
    }

    [Fact]
    public void ATruncatedReply_CountsAsTimedOut()
    {
        byte[] reply = Reply([(4100, 7, [1, 2, 3])], [(4300, 11)]);
        Assert.True(NotifyReply.TimedOut(reply.AsSpan(0, 10), 4100, 7));
        Assert.True(NotifyReply.TimedOut(reply.AsSpan(0, reply.Length - 4), 4100, 7));
        Assert.False(NotifyReply.TimedOut(Reply([(4100, 7, [])], []), 4100, 7));
    }
}
