namespace NetScsi.Messaging.Tests;

/// <summary>Every collective against a sequential reference, for 1 to 5 ranks, small and rendezvous-sized data.</summary>
public sealed class CollectiveTests
{
    public static TheoryData<int, int> Sizes()
    {
        var data = new TheoryData<int, int>();
        for (int ranks = 1; ranks <= 5; ranks++)
        {
            data.Add(ranks, 3);
            data.Add(ranks, 5000);
        }
        return data;
    }

    private static long Value(int rank, int i) => ((long)(rank + 1) * 1_000_003) + (i * 7919L);

    private static long[] Contribution(int rank, int count)
    {
        long[] data = new long[count];
        for (int i = 0; i < count; i++)
        {
            data[i] = Value(rank, i);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Reduce_Allreduce_Bcast_MatchTheSequentialReference(int ranks, int count)
    {
        await using Cluster cluster = await Cluster.StartAsync(ranks);
        var reduced = new long[ranks][];
        var allMax = new long[ranks][];
        var allSum = new long[ranks][];
        var broadcast = new long[ranks][];
        int root = ranks - 1;
        await cluster.RunAsync(comm =>
        {
            long[] mine = Contribution(comm.Rank, count);
            long[] result = new long[count];
            comm.Reduce<long>(mine, result, ReduceOp.Sum, root);
            reduced[comm.Rank] = result;
            allMax[comm.Rank] = new long[count];
            comm.Allreduce<long>(mine, allMax[comm.Rank], ReduceOp.Max);
            allSum[comm.Rank] = new long[count];
            comm.Allreduce<long>(mine, allSum[comm.Rank], ReduceOp.Sum);
            broadcast[comm.Rank] = comm.Rank == 0 ? Contribution(42, count) : new long[count];
            comm.Bcast<long>(broadcast[comm.Rank], 0);
        });
        long[] sum = new long[count];
        long[] max = new long[count];
        Array.Fill(max, long.MinValue);
        for (int r = 0; r < ranks; r++)
        {
            for (int i = 0; i < count; i++)
            {
                sum[i] += Value(r, i);
                max[i] = Math.Max(max[i], Value(r, i));
            }
        }
        Assert.Equal(sum, reduced[root]);
        for (int r = 0; r < ranks; r++)
        {
            Assert.Equal(max, allMax[r]);
            Assert.Equal(sum, allSum[r]);
            Assert.Equal(Contribution(42, count), broadcast[r]);
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Gather_Scatter_Allgather_Alltoall_MatchTheSequentialReference(int ranks, int count)
    {
        await using Cluster cluster = await Cluster.StartAsync(ranks);
        var gathered = new long[ranks][];
        var scattered = new long[ranks][];
        var allGathered = new long[ranks][];
        var exchanged = new long[ranks][];
        int root = ranks / 2;
        await cluster.RunAsync(comm =>
        {
            long[] mine = Contribution(comm.Rank, count);
            gathered[comm.Rank] = new long[count * comm.Size];
            comm.Gather<long>(mine, gathered[comm.Rank], root);

            long[] all = comm.Rank == root ? [.. Enumerable.Range(0, comm.Size).SelectMany(r => Contribution(r + 100, count))] : [];
            scattered[comm.Rank] = new long[count];
            comm.Scatter<long>(all, scattered[comm.Rank], root);

            allGathered[comm.Rank] = new long[count * comm.Size];
            comm.Allgather<long>(mine, allGathered[comm.Rank]);

            // Block j of rank i holds (i, j): rank j must end with (0, j), (1, j), ...
            long[] blocks = [.. Enumerable.Range(0, comm.Size).SelectMany(j => Enumerable.Repeat((comm.Rank * 1000L) + j, count))];
            exchanged[comm.Rank] = new long[blocks.Length];
            comm.Alltoall<long>(blocks, exchanged[comm.Rank]);
        });
        long[] reference = [.. Enumerable.Range(0, ranks).SelectMany(r => Contribution(r, count))];
        Assert.Equal(reference, gathered[root]);
        for (int r = 0; r < ranks; r++)
        {
            Assert.Equal(Contribution(r + 100, count), scattered[r]);
            Assert.Equal(reference, allGathered[r]);
            Assert.Equal([.. Enumerable.Range(0, ranks).SelectMany(i => Enumerable.Repeat((i * 1000L) + r, count))], exchanged[r]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public async Task Barrier_NoRankLeavesBeforeTheLastArrives(int ranks)
    {
        await using Cluster cluster = await Cluster.StartAsync(ranks);
        int arrived = 0;
        var seenOnLeaving = new int[ranks];
        await cluster.RunAsync(comm =>
        {
            Thread.Sleep(comm.Rank * 50);
            Interlocked.Increment(ref arrived);
            comm.Barrier();
            seenOnLeaving[comm.Rank] = Volatile.Read(ref arrived);
        });
        Assert.All(seenOnLeaving, seen => Assert.Equal(ranks, seen));
    }

    /// <summary>Digits written one after the other: associative, not commutative.</summary>
    private readonly record struct Digits(long Value, long Scale);

    private readonly struct Concatenate : IReduceOperator<Digits>
    {
        public static Digits Combine(Digits left, Digits right) => new((left.Value * right.Scale) + right.Value, left.Scale * right.Scale);
    }

    [Fact]
    public async Task Reduce_WithANonCommutativeOperator_CombinesInRankOrder()
    {
        await using Cluster cluster = await Cluster.StartAsync(5);
        long[] result = new long[1];
        await cluster.RunAsync(comm =>
        {
            Digits[] r = new Digits[1];
            comm.Reduce<Digits, Concatenate>([new Digits(comm.Rank + 1, 10)], r, 2);
            if (comm.Rank == 2)
            {
                result[0] = r[0].Value;
            }
        });
        Assert.Equal(12345, result[0]);
    }

    [Fact]
    public async Task Split_ByParity_GivesTwoCommunicators_WithTheirOwnRanksAndMessageSpaces()
    {
        await using Cluster cluster = await Cluster.StartAsync(5);
        var info = new (int Rank, int Size, long Sum)[5];
        bool dupIsolated = false;
        await cluster.RunAsync(comm =>
        {
            // Key reverses the order: the highest world rank of each color becomes rank 0.
            Communicator sub = comm.Split(comm.Rank % 2, -comm.Rank)!;
            long[] sum = new long[1];
            sub.Allreduce<long>([comm.Rank], sum, ReduceOp.Sum);
            info[comm.Rank] = (sub.Rank, sub.Size, sum[0]);

            Communicator dup = comm.Dup();
            if (comm.Rank == 0)
            {
                dup.Send<int>([1], 1, 0);
                comm.Send<int>([2], 1, 0);
            }
            else if (comm.Rank == 1)
            {
                int[] b = new int[1];
                comm.Recv<int>(b, 0, 0);
                dupIsolated = b[0] == 2;
                dup.Recv<int>(b, 0, 0);
            }
            Communicator? rest = comm.Split(comm.Rank == 0 ? Communicator.Undefined : 0, 0);
            Assert.Equal(comm.Rank == 0 ? -1 : comm.Rank - 1, rest?.Rank ?? -1);
        });
        Assert.Equal((2, 3, 6L), info[0]);
        Assert.Equal((1, 2, 4L), info[1]);
        Assert.Equal((1, 3, 6L), info[2]);
        Assert.Equal((0, 2, 4L), info[3]);
        Assert.Equal((0, 3, 6L), info[4]);
        Assert.True(dupIsolated);
    }
}
