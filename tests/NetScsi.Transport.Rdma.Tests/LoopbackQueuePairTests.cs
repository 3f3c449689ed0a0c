using NetScsi.Transport.Rdma.Loopback;
using NetScsi.Transport.Rdma.Memory;
using NetScsi.Transport.Rdma.Verbs;

namespace NetScsi.Transport.Rdma.Tests;

public sealed class LoopbackQueuePairTests : IDisposable
{
    private readonly LoopbackQueuePair _a;
    private readonly LoopbackQueuePair _b;
    private readonly RegisteredBufferPool _poolA;
    private readonly RegisteredBufferPool _poolB;

    public LoopbackQueuePairTests()
    {
        (_a, _b) = LoopbackRdmaFabric.CreatePair();
        _poolA = new RegisteredBufferPool(_a.Registrar, 256, 4);
        _poolB = new RegisteredBufferPool(_b.Registrar, 256, 4);
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        _poolA.Dispose();
        _poolB.Dispose();
        Assert.Equal(0, _a.Memory.Count);
        Assert.Equal(0, _b.Memory.Count);
    }

    private static RegisteredBuffer Rent(RegisteredBufferPool pool)
    {
        Assert.True(pool.TryRent(out RegisteredBuffer buffer));
        return buffer;
    }

    private static RdmaCompletion[] Drain(IRdmaQueuePair qp)
    {
        var completions = new RdmaCompletion[16];
        return completions[..qp.PollCompletions(completions)];
    }

    [Fact]
    public void Send_LandsInTheOldestPostedReceive_AndCompletesBothSides()
    {
        RegisteredBuffer first = Rent(_poolB), second = Rent(_poolB), message = Rent(_poolA);
        _b.PostReceive(1, first.Address, first.Length, first.LocalKey);
        _b.PostReceive(2, second.Address, second.Length, second.LocalKey);
        message.Span[..5].Fill(0x5A);

        _a.PostSend(10, message.Address, 5, message.LocalKey);

        Assert.Equal([new RdmaCompletion(10, RdmaCompletionOpcode.Send, RdmaCompletionStatus.Success, 0)], Drain(_a));
        Assert.Equal([new RdmaCompletion(1, RdmaCompletionOpcode.Receive, RdmaCompletionStatus.Success, 5)], Drain(_b));
        Assert.Equal(new byte[] { 0x5A, 0x5A, 0x5A, 0x5A, 0x5A }, first.Span[..5].ToArray());
        Assert.Equal(1, _b.PostedReceives);
    }

    [Fact]
    public void Send_WithoutPostedReceive_FailsReceiverNotReady_AndFlushesBothEnds()
    {
        RegisteredBuffer mine = Rent(_poolA), message = Rent(_poolA);
        _a.PostReceive(7, mine.Address, mine.Length, mine.LocalKey);

        _a.PostSend(10, message.Address, 8, message.LocalKey);

        RdmaCompletion[] completions = Drain(_a);
        Assert.Contains(new RdmaCompletion(10, RdmaCompletionOpcode.Send, RdmaCompletionStatus.ReceiverNotReady, 0), completions);
        Assert.Contains(new RdmaCompletion(7, RdmaCompletionOpcode.Receive, RdmaCompletionStatus.Flushed, 0), completions);
        Assert.True(_a.IsInError);
        Assert.True(_b.IsInError);
    }

    [Fact]
    public void Send_LongerThanTheReceive_IsALengthErrorAtTheReceiver()
    {
        RegisteredBuffer receive = Rent(_poolB), message = Rent(_poolA);
        _b.PostReceive(1, receive.Address, 16, receive.LocalKey);

        _a.PostSend(2, message.Address, 17, message.LocalKey);

        Assert.Equal([new RdmaCompletion(1, RdmaCompletionOpcode.Receive, RdmaCompletionStatus.LocalLengthError, 0)], Drain(_b));
        Assert.True(_b.IsInError);
    }

    [Fact]
    public void RdmaWriteAndRead_MoveBytesByStagAndAddress_WithOneCompletionAtThePoster()
    {
        RegisteredBuffer local = Rent(_poolA), remote = Rent(_poolB);
        local.Span.Fill(0x11);
        remote.Span.Fill(0x22);

        _a.PostRdmaWrite(1, local.Address, 64, local.LocalKey, (ulong)remote.Address + 32, remote.RemoteKey);
        Assert.All(remote.Span[32..96].ToArray(), b => Assert.Equal(0x11, b));
        Assert.Equal(0x22, remote.Span[31]);
        Assert.Equal(0x22, remote.Span[96]);

        remote.Span[200] = 0x77;
        _a.PostRdmaRead(2, local.Address, 1, local.LocalKey, (ulong)remote.Address + 200, remote.RemoteKey);
        Assert.Equal(0x77, local.Span[0]);

        Assert.Equal(
            [
                new RdmaCompletion(1, RdmaCompletionOpcode.RdmaWrite, RdmaCompletionStatus.Success, 0),
                new RdmaCompletion(2, RdmaCompletionOpcode.RdmaRead, RdmaCompletionStatus.Success, 1),
            ],
            Drain(_a));
        Assert.Empty(Drain(_b));
    }

    [Theory]
    [InlineData(1u, 0L)] // another STag
    [InlineData(0u, 1016L)] // runs past the slab's 4 × 256 bytes
    [InlineData(0u, -8L)] // starts before it
    public void RdmaWrite_OutsideThePeersRegistration_IsARemoteAccessError(uint keyDelta, long offset)
    {
        RegisteredBuffer local = Rent(_poolA), remote = Rent(_poolB);
        Assert.Equal(0, remote.Index);

        _a.PostRdmaWrite(5, local.Address, 16, local.LocalKey, (ulong)((long)remote.Address + offset), remote.RemoteKey + keyDelta);

        Assert.Equal([new RdmaCompletion(5, RdmaCompletionOpcode.RdmaWrite, RdmaCompletionStatus.RemoteAccessError, 0)], Drain(_a));
        Assert.True(_b.IsInError);
    }

    [Fact]
    public void Post_WithAWrongLocalKey_IsALocalProtectionError()
    {
        RegisteredBuffer local = Rent(_poolA);
        _a.PostSend(3, local.Address, 8, local.LocalKey + 99);

        Assert.Equal([new RdmaCompletion(3, RdmaCompletionOpcode.Send, RdmaCompletionStatus.LocalProtectionError, 0)], Drain(_a));
    }

    [Fact]
    public void Disconnect_FlushesThePeersReceives_AndLaterPostsCompleteFlushed()
    {
        RegisteredBuffer receive = Rent(_poolB), message = Rent(_poolA);
        _b.PostReceive(1, receive.Address, receive.Length, receive.LocalKey);

        _a.Disconnect();
        _a.PostSend(2, message.Address, 4, message.LocalKey);

        Assert.Equal([new RdmaCompletion(1, RdmaCompletionOpcode.Receive, RdmaCompletionStatus.Flushed, 0)], Drain(_b));
        Assert.Equal([new RdmaCompletion(2, RdmaCompletionOpcode.Send, RdmaCompletionStatus.Flushed, 0)], Drain(_a));
    }

    [Fact]
    public async Task WaitForCompletion_SleepsUntilAPeerSendLands()
    {
        RegisteredBuffer receive = Rent(_poolB), message = Rent(_poolA);
        _b.PostReceive(1, receive.Address, receive.Length, receive.LocalKey);

        ValueTask waiting = _b.WaitForCompletionAsync(CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        _a.PostSend(2, message.Address, 4, message.LocalKey);
        await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Single(Drain(_b));

        // Drained: the next wait sleeps again rather than returning at once.
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await _b.WaitForCompletionAsync(cancel.Token));
    }
}
