using System.Threading.Channels;
using NetScsi.Scsi.Messaging;

namespace NetScsi.Scsi.Tests.Messaging;

/// <summary>The bounded receive queue between a communications unit and its reader.</summary>
public sealed class MessageReceiveQueueTests
{
    private const ushort Ipv4 = 0x0800;

    [Fact]
    public void AcceptsStream_OnlyTheConfiguredStreams()
    {
        var queue = new MessageReceiveQueue([Ipv4], 4, 1024);

        Assert.True(queue.AcceptsStream(Ipv4));
        Assert.False(queue.AcceptsStream(0x86DD));
    }

    [Fact]
    public void TryDeliver_BeyondMaxMessages_IsRefused()
    {
        var queue = new MessageReceiveQueue([Ipv4], 2, 1024);

        Assert.True(queue.TryDeliver(Ipv4, new byte[10]));
        Assert.True(queue.TryDeliver(Ipv4, new byte[10]));
        Assert.False(queue.TryDeliver(Ipv4, new byte[10]));
        Assert.Equal((2, 20L), (queue.Count, queue.Bytes));
    }

    [Fact]
    public void TryDeliver_BeyondMaxBytes_IsRefused_AndTheBytesAreNotCounted()
    {
        var queue = new MessageReceiveQueue([Ipv4], 10, 100);

        Assert.True(queue.TryDeliver(Ipv4, new byte[60]));
        Assert.False(queue.TryDeliver(Ipv4, new byte[41]));
        Assert.True(queue.TryDeliver(Ipv4, new byte[40]));
        Assert.Equal((2, 100L), (queue.Count, queue.Bytes));
    }

    [Fact]
    public void TryReceive_CopiesTheOldestMessage_AndFreesItsRoom()
    {
        var queue = new MessageReceiveQueue([Ipv4], 2, 1024);
        queue.TryDeliver(Ipv4, [1, 2, 3]);
        queue.TryDeliver(Ipv4, [4]);
        byte[] buffer = new byte[16];

        Assert.True(queue.TryReceive(buffer, out MessageInfo first));

        Assert.Equal(new MessageInfo(Ipv4, 3), first);
        Assert.Equal(new byte[] { 1, 2, 3 }, buffer[..3]);
        Assert.Equal((1, 1L), (queue.Count, queue.Bytes));
        Assert.True(queue.TryDeliver(Ipv4, [5]));
    }

    [Fact]
    public void TryReceive_BufferTooSmall_ThrowsAndKeepsTheMessage()
    {
        var queue = new MessageReceiveQueue([Ipv4], 2, 1024);
        queue.TryDeliver(Ipv4, new byte[100]);

        Assert.Throws<ArgumentException>(() => queue.TryReceive(new byte[99], out _));

        Assert.True(queue.TryReceive(new byte[100], out MessageInfo message));
        Assert.Equal(100, message.Length);
    }

    [Fact]
    public async Task ReceiveAsync_WaitsForTheNextMessage()
    {
        var queue = new MessageReceiveQueue([Ipv4], 2, 1024);
        byte[] buffer = new byte[16];

        ValueTask<MessageInfo> pending = queue.ReceiveAsync(buffer);
        Assert.False(pending.IsCompleted);
        queue.TryDeliver(Ipv4, [9, 8]);

        Assert.Equal(new MessageInfo(Ipv4, 2), await pending.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(new byte[] { 9, 8 }, buffer[..2]);
    }

    [Fact]
    public async Task Close_RefusesNewMessages_DrainsTheQueued_ThenEndsTheReader()
    {
        var queue = new MessageReceiveQueue([Ipv4], 2, 1024);
        queue.TryDeliver(Ipv4, [1]);

        queue.Close();

        Assert.False(queue.TryDeliver(Ipv4, [2]));
        Assert.Equal(1L, queue.Bytes);
        Assert.Equal(1, (await queue.ReceiveAsync(new byte[4])).Length);
        await Assert.ThrowsAsync<ChannelClosedException>(async () => await queue.ReceiveAsync(new byte[4]));
    }
}
