using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using NetScsi.Transport.Tcp;

namespace NetScsi.Functional.Tests.Transport;

/// <summary>
/// The input pipe of an initiator's <see cref="TcpStream"/> (<see cref="TcpDataMoverConnector"/>), which reads
/// the socket itself: PipeReader semantics for a PDU parser, a buffer that grows for a PDU larger than it, and
/// the reads a consumer can shape (limited, polling).
/// </summary>
public sealed class TcpInputPipeTests : IAsyncLifetime
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    private Socket _listener = null!;

    /// <summary>The connection under test.</summary>
    private TcpStream Connection { get; set; } = null!;

    /// <summary>Its peer.</summary>
    private Socket Client { get; set; } = null!;

    private PipeReader Input => Connection.Pipe.Input;

    public async Task InitializeAsync()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
        Task<Socket> accept = _listener.AcceptAsync();
        Connection = await TcpDataMoverConnector.ConnectStreamAsync(new TcpPortal((IPEndPoint)_listener.LocalEndPoint!)).AsTask().WaitAsync(s_timeout);
        Client = await accept.WaitAsync(s_timeout);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Connection.DisposeAsync();
        _listener.Dispose();
    }

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task Read_ReturnsAtOnceWhileBytesAreUnexamined_AndWaitsForMoreOnceAllAreExamined()
    {
        byte[] sent = Pattern(10, seed: 1);
        await Client.SendAsync(sent, SocketFlags.None);
        ReadResult first = await Input.ReadAsync().AsTask().WaitAsync(s_timeout);
        Assert.Equal(sent, first.Buffer.ToArray());

        // Consumed 2, looked at 5: the rest is news, so the next read does not wait.
        Input.AdvanceTo(first.Buffer.GetPosition(2), first.Buffer.GetPosition(5));
        ValueTask<ReadResult> again = Input.ReadAsync();
        Assert.True(again.IsCompleted);
        ReadResult second = await again;
        Assert.Equal(sent[2..], second.Buffer.ToArray());

        // Everything examined (an incomplete PDU): the next read waits for the peer.
        Input.AdvanceTo(second.Buffer.Start, second.Buffer.End);
        ValueTask<ReadResult> waiting = Input.ReadAsync();
        Assert.False(waiting.IsCompleted);
        byte[] more = Pattern(5, seed: 2);
        await Client.SendAsync(more, SocketFlags.None);
        ReadResult third = await waiting.AsTask().WaitAsync(s_timeout);
        Assert.Equal([.. sent[2..], .. more], third.Buffer.ToArray());
        Input.AdvanceTo(third.Buffer.End);
    }

    [Fact]
    public async Task Read_PduLargerThanTheBuffer_GrowsUntilItIsWhole_ByteForByte()
    {
        // An initiator connection reads 16 KiB at a time; a 1 MiB PDU is only parsed once all of it is in.
        byte[] sent = Pattern(1 << 20, seed: 3);
        Task send = Client.SendAsync(sent, SocketFlags.None);
        ReadResult result;
        while (true)
        {
            result = await Input.ReadAsync().AsTask().WaitAsync(s_timeout);
            if (result.Buffer.Length >= sent.Length)
            {
                break;
            }

            Input.AdvanceTo(result.Buffer.Start, result.Buffer.End); // nothing consumable yet
        }

        await send.WaitAsync(s_timeout);
        Assert.True(sent.AsSpan().SequenceEqual(result.Buffer.ToArray()), "bytes differ after growing the buffer");
        Input.AdvanceTo(result.Buffer.End);

        // And the pipe carries on from there.
        byte[] next = Pattern(100, seed: 4);
        await Client.SendAsync(next, SocketFlags.None);
        ReadResult after = await Input.ReadAsync().AsTask().WaitAsync(s_timeout);
        Assert.Equal(next, after.Buffer.ToArray());
        Input.AdvanceTo(after.Buffer.End);
    }

    [Fact]
    public async Task Read_ConsumingPduByPdu_KeepsTheByteStreamInOrder()
    {
        // Many reads that each leave a partial PDU behind: the unconsumed tail moves to the front of the buffer.
        byte[] sent = Pattern(3 << 20, seed: 5);
        Task send = Client.SendAsync(sent, SocketFlags.None);
        var received = new List<byte>(sent.Length);
        const int pdu = 50_000;
        while (received.Count < sent.Length)
        {
            ReadResult result = await Input.ReadAsync().AsTask().WaitAsync(s_timeout);
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (buffer.Length >= pdu || (buffer.Length > 0 && received.Count + buffer.Length == sent.Length))
            {
                ReadOnlySequence<byte> one = buffer.Slice(0, Math.Min(pdu, buffer.Length));
                received.AddRange(one.ToArray());
                buffer = buffer.Slice(one.End);
            }

            Input.AdvanceTo(buffer.Start, buffer.End);
        }

        await send.WaitAsync(s_timeout);
        Assert.True(sent.AsSpan().SequenceEqual(received.ToArray()), "bytes differ or are out of order");
    }

    [Fact]
    public async Task LimitNextPipeRead_TakesOnlyThatMuchFromTheSocket_ThenReadsTakeWhatIsThere()
    {
        byte[] sent = Pattern(100, seed: 6);
        await Client.SendAsync(sent, SocketFlags.None); // over loopback the bytes are in the server's socket now

        Connection.LimitNextPipeRead(48);
        ReadResult first = await Input.ReadAsync().AsTask().WaitAsync(s_timeout);
        Assert.Equal(sent[..48], first.Buffer.ToArray());
        Input.AdvanceTo(first.Buffer.End);

        ReadResult rest = await Input.ReadAsync().AsTask().WaitAsync(s_timeout);
        Assert.Equal(sent[48..], rest.Buffer.ToArray());
        Input.AdvanceTo(rest.Buffer.End);
    }

    [Fact]
    public async Task LimitNextPipeRead_OutlivesATryReadThatFoundNothing()
    {
        Connection.LimitNextPipeRead(48);
        Assert.False(Input.TryRead(out _));

        byte[] sent = Pattern(100, seed: 7);
        ValueTask<ReadResult> read = Input.ReadAsync();
        await Client.SendAsync(sent, SocketFlags.None);
        ReadResult first = await read.AsTask().WaitAsync(s_timeout);
        Assert.Equal(sent[..48], first.Buffer.ToArray());
        Input.AdvanceTo(first.Buffer.End);
    }

    [Fact]
    public async Task TryRead_TakesWhatTheSocketHolds_WithoutWaiting()
    {
        Assert.False(Input.TryRead(out _));
        byte[] sent = Pattern(64, seed: 8);
        await Client.SendAsync(sent, SocketFlags.None);
        ReadResult result = default;
        await WaitUntilAsync(() => Input.TryRead(out result));
        Assert.Equal(sent, result.Buffer.ToArray());
        Input.AdvanceTo(result.Buffer.End);
    }

    [Fact]
    public async Task PollNextRead_TakesBytesThatArriveWhileItPolls_InsteadOfWaitingToBeWoken()
    {
        byte[] sent = Pattern(32, seed: 9);
        Connection.PollNextRead(TimeSpan.FromSeconds(10));
        var clock = Stopwatch.StartNew();
        _ = Task.Run(async () =>
        {
            await Task.Delay(50);
            await Client.SendAsync(sent, SocketFlags.None);
        });

        // The read returns only when the bytes are there, having polled for them on this thread.
        ValueTask<ReadResult> read = Input.ReadAsync();
        Assert.True(read.IsCompleted, "the read should have polled until the bytes came");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"polled {clock.Elapsed} for bytes sent after 50 ms");
        ReadResult result = await read;
        Assert.Equal(sent, result.Buffer.ToArray());
        Input.AdvanceTo(result.Buffer.End);

        // Once only: the next read waits as usual.
        Assert.False(Input.ReadAsync().IsCompleted);
    }

    [Fact]
    public async Task PollNextRead_GivesUpAfterItsTime_AndTheReadWaits()
    {
        Connection.PollNextRead(TimeSpan.FromMilliseconds(20));
        var clock = Stopwatch.StartNew();
        ValueTask<ReadResult> read = Input.ReadAsync();
        Assert.False(read.IsCompleted);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(20), $"gave up after {clock.Elapsed}");

        byte[] sent = Pattern(16, seed: 10);
        await Client.SendAsync(sent, SocketFlags.None);
        ReadResult result = await read.AsTask().WaitAsync(s_timeout);
        Assert.Equal(sent, result.Buffer.ToArray());
        Input.AdvanceTo(result.Buffer.End);
    }

    [Fact]
    public async Task PollNextDirectReceive_TakesBytesThatArriveWhileItPolls_OnceOnly()
    {
        var receiver = Connection;
        byte[] sent = Pattern(32 * 1024, seed: 11);
        receiver.PollNextDirectReceive(TimeSpan.FromSeconds(10));
        var clock = Stopwatch.StartNew();
        _ = Task.Run(async () =>
        {
            await Task.Delay(50);
            await Client.SendAsync(sent, SocketFlags.None);
        });

        // The receive returns only when bytes are there, having polled for them on this thread.
        byte[] buffer = new byte[sent.Length];
        ValueTask<int> receive = receiver.ReceiveDirectAsync(buffer);
        Assert.True(receive.IsCompleted, "the receive should have polled until the bytes came");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"polled {clock.Elapsed} for bytes sent after 50 ms");
        int received = await receive;
        while (received < sent.Length)
        {
            received += await receiver.ReceiveDirectAsync(buffer.AsMemory(received)).AsTask().WaitAsync(s_timeout);
        }

        Assert.Equal(sent, buffer);

        // Once only: the next receive waits as usual.
        ValueTask<int> next = receiver.ReceiveDirectAsync(buffer);
        Assert.False(next.IsCompleted);
        await Client.SendAsync(sent.AsMemory(0, 16), SocketFlags.None);
        Assert.Equal(16, await next.AsTask().WaitAsync(s_timeout));
    }

    [Fact]
    public async Task PollNextDirectReceive_GivesUpAfterItsTime_AndTheReceiveWaits()
    {
        var receiver = Connection;
        receiver.PollNextDirectReceive(TimeSpan.FromMilliseconds(20));
        var clock = Stopwatch.StartNew();
        byte[] buffer = new byte[64];
        ValueTask<int> receive = receiver.ReceiveDirectAsync(buffer);
        Assert.False(receive.IsCompleted);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(20), $"gave up after {clock.Elapsed}");

        byte[] sent = Pattern(64, seed: 12);
        await Client.SendAsync(sent, SocketFlags.None);
        Assert.Equal(64, await receive.AsTask().WaitAsync(s_timeout));
        Assert.Equal(sent, buffer);
    }

    [Fact]
    public async Task CancelPendingRead_WakesAWaitingRead_AndLaterReadsStillReceive()
    {
        ValueTask<ReadResult> waiting = Input.ReadAsync();
        Assert.False(waiting.IsCompleted);
        Input.CancelPendingRead();
        ReadResult cancelled = await waiting.AsTask().WaitAsync(s_timeout);
        Assert.True(cancelled.IsCanceled);
        Input.AdvanceTo(cancelled.Buffer.Start);

        // Cancelled while no read is pending: the next read returns cancelled, the one after waits normally.
        Input.CancelPendingRead();
        ReadResult next = await Input.ReadAsync().AsTask().WaitAsync(s_timeout);
        Assert.True(next.IsCanceled);
        Input.AdvanceTo(next.Buffer.Start);

        ValueTask<ReadResult> read = Input.ReadAsync();
        byte[] sent = Pattern(8, seed: 11);
        await Client.SendAsync(sent, SocketFlags.None);
        ReadResult result = await read.AsTask().WaitAsync(s_timeout);
        Assert.False(result.IsCanceled);
        Assert.Equal(sent, result.Buffer.ToArray());
        Input.AdvanceTo(result.Buffer.End);
    }

    [Fact]
    public async Task PeerClosing_CompletesTheStream_AfterTheLastBytes()
    {
        byte[] sent = Pattern(20, seed: 12);
        await Client.SendAsync(sent, SocketFlags.None);
        Client.Shutdown(SocketShutdown.Send);

        var received = new List<byte>();
        while (true)
        {
            ReadResult result = await Input.ReadAsync().AsTask().WaitAsync(s_timeout);
            received.AddRange(result.Buffer.ToArray());
            Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        Assert.Equal(sent, received.ToArray());
    }

    [Fact]
    public async Task AdvanceTo_APositionFromAnotherBuffer_IsRefused()
    {
        byte[] sent = Pattern(10, seed: 13);
        await Client.SendAsync(sent, SocketFlags.None);
        ReadResult result = await Input.ReadAsync().AsTask().WaitAsync(s_timeout);
        var foreign = new ReadOnlySequence<byte>(new byte[10]);
        Assert.Throws<InvalidOperationException>(() => Input.AdvanceTo(foreign.Start));
        Input.AdvanceTo(result.Buffer.End);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < s_timeout, "condition not met in time");
            await Task.Delay(5);
        }
    }
}
