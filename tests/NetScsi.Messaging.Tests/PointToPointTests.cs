namespace NetScsi.Messaging.Tests;

/// <summary>Send/Recv semantics over the in-memory mover: matching, order, wildcards, truncation, sizes.</summary>
public sealed class PointToPointTests
{
    private static int[] Pattern(int length, int seed)
    {
        int[] data = new int[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = unchecked((i * 31) + (seed * 1_000_003));
        }
        return data;
    }

    [Fact]
    public async Task Send_ToAnotherRank_ArrivesWithSourceTagAndCount()
    {
        await using Cluster cluster = await Cluster.StartAsync(2);
        Status status = default;
        int[] received = new int[10];
        await cluster.RunAsync(comm =>
        {
            if (comm.Rank == 0)
            {
                comm.Send<int>(Pattern(7, 1), 1, 42);
            }
            else
            {
                status = comm.Recv<int>(received, 0, 42);
            }
        });
        Assert.Equal(new Status(0, 42, 28), status);
        Assert.Equal(7, status.Count<int>());
        Assert.Equal(Pattern(7, 1), received[..7]);
    }

    [Fact]
    public async Task Receives_MatchByTag_NotByArrivalOrder()
    {
        await using Cluster cluster = await Cluster.StartAsync(2);
        int[] first = new int[1];
        int[] second = new int[1];
        await cluster.RunAsync(comm =>
        {
            if (comm.Rank == 0)
            {
                comm.Send<int>([1], 1, 1);
                comm.Send<int>([2], 1, 2);
            }
            else
            {
                comm.Recv<int>(second, 0, 2);
                comm.Recv<int>(first, 0, 1);
            }
        });
        Assert.Equal(1, first[0]);
        Assert.Equal(2, second[0]);
    }

    [Fact]
    public async Task ManyMessages_SameSourceAndTag_AreReceivedInSendOrder_AcrossEagerAndRendezvous()
    {
        await using Cluster cluster = await Cluster.StartAsync(2);
        var order = new List<int>();
        await cluster.RunAsync(comm =>
        {
            const int count = 200;
            if (comm.Rank == 0)
            {
                var requests = new Request[count];
                var buffers = new int[count][];
                for (int i = 0; i < count; i++)
                {
                    // Every tenth message is larger than the eager limit: announced and pulled.
                    buffers[i] = new int[i % 10 == 0 ? 10_000 : 4];
                    buffers[i][0] = i;
                    requests[i] = comm.Isend<int>(buffers[i], 1, 5);
                }
                Request.WaitAll(requests);
            }
            else
            {
                int[] buffer = new int[10_000];
                for (int i = 0; i < count; i++)
                {
                    comm.Recv<int>(buffer, 0, 5);
                    order.Add(buffer[0]);
                }
            }
        });
        Assert.Equal(Enumerable.Range(0, 200), order);
    }

    [Fact]
    public async Task AnySource_TakesEverySender_AndStatusNamesEach()
    {
        await using Cluster cluster = await Cluster.StartAsync(4);
        var sources = new List<int>();
        await cluster.RunAsync(comm =>
        {
            if (comm.Rank != 0)
            {
                comm.Send<int>([comm.Rank * 10], 0, comm.Rank);
                return;
            }
            int[] buffer = new int[1];
            for (int i = 0; i < 3; i++)
            {
                Status status = comm.Recv<int>(buffer, Communicator.AnySource, Communicator.AnyTag);
                Assert.Equal(status.Source * 10, buffer[0]);
                Assert.Equal(status.Source, status.Tag);
                sources.Add(status.Source);
            }
        });
        Assert.Equal([1, 2, 3], sources.Order());
    }

    [Fact]
    public async Task Probe_ReportsTheWaitingMessage_BeforeItIsReceived()
    {
        await using Cluster cluster = await Cluster.StartAsync(2);
        Status probed = default;
        int[] buffer = [];
        await cluster.RunAsync(comm =>
        {
            if (comm.Rank == 0)
            {
                comm.Send<int>(Pattern(123, 3), 1, 9);
            }
            else
            {
                probed = comm.Probe(Communicator.AnySource, Communicator.AnyTag);
                buffer = new int[probed.Count<int>()];
                comm.Recv<int>(buffer, probed.Source, probed.Tag);
            }
        });
        Assert.Equal(new Status(0, 9, 123 * 4), probed);
        Assert.Equal(Pattern(123, 3), buffer);
    }

    [Theory]
    [InlineData(20)]
    [InlineData(20_000)]
    public async Task Message_LongerThanTheReceiveBuffer_FailsAsTruncated_AndTheNextStillArrives(int length)
    {
        await using Cluster cluster = await Cluster.StartAsync(2);
        MessagingException? error = null;
        int[] next = new int[1];
        await cluster.RunAsync(comm =>
        {
            if (comm.Rank == 0)
            {
                comm.Send<int>(Pattern(length, 1), 1, 1);
                comm.Send<int>([77], 1, 1);
            }
            else
            {
                error = Assert.Throws<MessagingException>(() => comm.Recv<int>(new int[length / 2], 0, 1));
                comm.Recv<int>(next, 0, 1);
            }
        });
        Assert.Contains("truncated", error!.Message, StringComparison.Ordinal);
        Assert.Equal(77, next[0]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(16 * 1024)]
    [InlineData((16 * 1024) + 1)]
    [InlineData(4 * 1024 * 1024)]
    [InlineData(16 * 1024 * 1024)]
    public async Task Message_OfAnySize_ArrivesWhole(int bytes)
    {
        await using Cluster cluster = await Cluster.StartAsync(2);
        byte[] sent = new byte[bytes];
        new Random(bytes).NextBytes(sent);
        byte[] received = new byte[bytes];
        await cluster.RunAsync(comm =>
        {
            if (comm.Rank == 0)
            {
                comm.Send<byte>(sent, 1, 3);
            }
            else
            {
                Assert.Equal(bytes, comm.Recv<byte>(received, 0, 3).ByteCount);
            }
        });
        Assert.Equal(sent, received);
        if (bytes > MessagingWorldOptions.DefaultEagerLimit)
        {
            // Rendezvous: the receiver pulled the data from the sender's unit.
            Assert.Equal(bytes, cluster.Worlds[0].Unit.BytesRead);
        }
    }

    [Fact]
    public async Task ManyOutstandingIsends_OfLargeAndSmallMessages_AllComplete_AndUnexpectedStaysBounded()
    {
        await using Cluster cluster = await Cluster.StartAsync(3, o => o.ReceiveSlotsPerPeer = 4);
        const int count = 300;
        long[] sums = new long[3];
        await cluster.RunAsync(comm =>
        {
            int[][] buffers = new int[count][];
            var sends = new Request[2 * count];
            for (int i = 0; i < count; i++)
            {
                buffers[i] = Pattern(i % 50 == 0 ? 1024 * 1024 : 64, i);
                for (int p = 0, k = 0; p < comm.Size; p++)
                {
                    if (p != comm.Rank)
                    {
                        sends[(2 * i) + k++] = comm.Isend<int>(buffers[i], p, i % 7);
                    }
                }
            }
            // The receives are posted late: the senders meet TASK SET FULL and retry.
            Thread.Sleep(300);
            Assert.True(comm.World.UnexpectedHeld <= 2 * 4);
            int[] buffer = new int[1024 * 1024];
            long sum = 0;
            for (int i = 0; i < 2 * count; i++)
            {
                Status status = comm.Recv<int>(buffer, Communicator.AnySource, Communicator.AnyTag);
                sum += buffer[status.Count<int>() - 1];
            }
            Request.WaitAll(sends);
            sums[comm.Rank] = sum;
        }, TimeSpan.FromSeconds(120));
        long expected = 0;
        for (int i = 0; i < count; i++)
        {
            int[] b = Pattern(i % 50 == 0 ? 1024 * 1024 : 64, i);
            expected += 2L * b[^1];
        }
        Assert.All(sums, s => Assert.Equal(expected, s));
        Assert.True(cluster.Worlds.Sum(w => w.Unit.Counters.QueueFullRefusals) > 0);
    }

    [Fact]
    public async Task Isend_AndIrecv_ToSelf_Match()
    {
        await using Cluster cluster = await Cluster.StartAsync(1);
        int[] received = new int[100_000];
        await cluster.RunAsync(comm =>
        {
            int[] data = Pattern(100_000, 5);
            Request send = comm.Isend<int>(data, 0, 1);
            Request receive = comm.Irecv<int>(received, 0, 1);
            Request.WaitAll([send, receive]);
        });
        Assert.Equal(Pattern(100_000, 5), received);
    }

    [Fact]
    public async Task Sendrecv_AroundARing_DoesNotDeadlock()
    {
        await using Cluster cluster = await Cluster.StartAsync(5);
        int[] got = new int[5];
        await cluster.RunAsync(comm =>
        {
            int[] buffer = new int[20_000];
            int[] data = Pattern(20_000, comm.Rank);
            comm.Sendrecv<int, int>(data, (comm.Rank + 1) % comm.Size, 0, buffer, (comm.Rank + comm.Size - 1) % comm.Size, 0);
            got[comm.Rank] = buffer[1] - 31;
        });
        Assert.Equal([4 * 1_000_003, 0, 1_000_003, 2 * 1_000_003, 3 * 1_000_003], got);
    }

    [Fact]
    public async Task APeerThatDies_FailsThePendingReceive_WithAClearError()
    {
        await using Cluster cluster = await Cluster.StartAsync(3, o => o.FailureTimeout = TimeSpan.FromSeconds(1));
        MessagingException? error = null;
        Communicator comm = cluster.Worlds[0].World;
        Task receive = Task.Factory.StartNew(() => error = Assert.Throws<MessagingException>(() => comm.Recv<int>(new int[1], 2, 0)), TaskCreationOptions.LongRunning);
        await Task.Delay(200);
        await cluster.Worlds[2].AbortAsync();
        await receive.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Contains("rank 2", error!.Message, StringComparison.Ordinal);
        Assert.Throws<MessagingException>(() => comm.Send<int>([1], 1, 0));
    }
}
