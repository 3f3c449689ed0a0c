using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;

namespace NetScsi.Messaging;

/// <summary>
/// Collective operations, every rank of the communicator calling them in the same order. They travel on the
/// communicator's collective context, so they never match point-to-point receives. Algorithms: Barrier by
/// dissemination (⌈log₂ n⌉ rounds); Bcast down a binomial tree; Reduce up a binomial tree to rank 0 in rank order
/// (then to the root); Allreduce by recursive doubling for power-of-two sizes up to 64 KiB, else Reduce then Bcast;
/// Allgather around a ring; Alltoall by pairwise exchange; Gather and Scatter directly with the root.
/// </summary>
public sealed partial class Communicator
{
    private const int BarrierTag = 1;
    private const int BcastTag = 2;
    private const int ReduceTag = 3;
    private const int AllreduceTag = 4;
    private const int GatherTag = 5;
    private const int ScatterTag = 6;
    private const int AllgatherTag = 7;
    private const int AlltoallTag = 8;
    private const int RecursiveDoublingLimit = 64 * 1024;

    /// <summary>Returns when every rank has entered (MPI_Barrier).</summary>
    public void Barrier() => BarrierCore(Timeout.InfiniteTimeSpan);

    internal unsafe void BarrierCore(TimeSpan timeout)
    {
        for (int distance = 1; distance < Size; distance <<= 1)
        {
            RequestState receive = StartReceive(null, 0, (Rank - distance + Size) % Size, BarrierTag, CollectiveContext);
            RequestState send = StartSend(null, 0, (Rank + distance) % Size, BarrierTag, CollectiveContext);
            if (!receive.WaitDone(timeout) || !send.WaitDone(timeout))
            {
                throw new MessagingException($"the barrier did not complete within {timeout.TotalSeconds:0} s");
            }
            CompleteBoth(receive, send);
        }
    }

    /// <summary>Copies the root's buffer into every rank's (MPI_Bcast).</summary>
    public unsafe void Bcast<T>(Span<T> buffer, int root)
        where T : unmanaged
    {
        CheckRoot(root);
        Span<byte> bytes = MemoryMarshal.AsBytes(buffer);
        fixed (byte* pointer = bytes)
        {
            BcastBytes(pointer, bytes.Length, root);
        }
    }

    private unsafe void BcastBytes(byte* pointer, int length, int root)
    {
        int relative = (Rank - root + Size) % Size;
        int mask = 1;
        while (mask < Size)
        {
            if ((relative & mask) != 0)
            {
                Complete(StartReceive(pointer, length, (relative - mask + root) % Size, BcastTag, CollectiveContext));
                break;
            }
            mask <<= 1;
        }
        for (mask >>= 1; mask > 0; mask >>= 1)
        {
            if (relative + mask < Size)
            {
                Complete(StartSend(pointer, length, (relative + mask + root) % Size, BcastTag, CollectiveContext));
            }
        }
    }

    /// <summary>Combines every rank's <paramref name="data"/> element-wise into the root's <paramref name="result"/> (MPI_Reduce).</summary>
    public void Reduce<T>(ReadOnlySpan<T> data, Span<T> result, ReduceOp op, int root)
        where T : unmanaged, INumber<T>
    {
        switch (op)
        {
            case ReduceOp.Sum: Reduce<T, SumOperator<T>>(data, result, root); break;
            case ReduceOp.Prod: Reduce<T, ProdOperator<T>>(data, result, root); break;
            case ReduceOp.Min: Reduce<T, MinOperator<T>>(data, result, root); break;
            case ReduceOp.Max: Reduce<T, MaxOperator<T>>(data, result, root); break;
            default: throw new ArgumentOutOfRangeException(nameof(op));
        }
    }

    /// <summary>Reduce with a user operator; <paramref name="result"/> matters only at the root.</summary>
    public unsafe void Reduce<T, TOp>(ReadOnlySpan<T> data, Span<T> result, int root)
        where T : unmanaged
        where TOp : struct, IReduceOperator<T>
    {
        CheckRoot(root);
        if (Rank == root && result.Length < data.Length)
        {
            throw new ArgumentException("The result buffer is shorter than the data.", nameof(result));
        }
        T[] accumulator = ArrayPool<T>.Shared.Rent(data.Length);
        try
        {
            Span<T> acc = accumulator.AsSpan(0, data.Length);
            data.CopyTo(acc);
            ReduceToZero<T, TOp>(acc);
            int bytes = data.Length * sizeof(T);
            fixed (T* a = acc)
            fixed (T* r = result)
            {
                if (root == 0)
                {
                    if (Rank == 0)
                    {
                        acc.CopyTo(result);
                    }
                }
                else if (Rank == 0)
                {
                    Complete(StartSend((byte*)a, bytes, root, ReduceTag, CollectiveContext));
                }
                else if (Rank == root)
                {
                    Complete(StartReceive((byte*)r, bytes, 0, ReduceTag, CollectiveContext));
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(accumulator);
        }
    }

    /// <summary>Binomial tree to rank 0 in rank order: rank 0's accumulator ends with the result.</summary>
    private unsafe void ReduceToZero<T, TOp>(Span<T> acc)
        where T : unmanaged
        where TOp : struct, IReduceOperator<T>
    {
        int bytes = acc.Length * sizeof(T);
        T[] incoming = ArrayPool<T>.Shared.Rent(acc.Length);
        try
        {
            Span<T> tmp = incoming.AsSpan(0, acc.Length);
            fixed (T* a = acc)
            fixed (T* t = tmp)
            {
                for (int mask = 1; mask < Size; mask <<= 1)
                {
                    if ((Rank & mask) != 0)
                    {
                        Complete(StartSend((byte*)a, bytes, Rank - mask, ReduceTag, CollectiveContext));
                        return;
                    }
                    if (Rank + mask < Size)
                    {
                        Complete(StartReceive((byte*)t, bytes, Rank + mask, ReduceTag, CollectiveContext));
                        Combine<T, TOp>(acc, tmp, acc);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(incoming);
        }
    }

    /// <summary>Every rank gets the element-wise combination of every rank's data (MPI_Allreduce).</summary>
    public void Allreduce<T>(ReadOnlySpan<T> data, Span<T> result, ReduceOp op)
        where T : unmanaged, INumber<T>
    {
        switch (op)
        {
            case ReduceOp.Sum: Allreduce<T, SumOperator<T>>(data, result); break;
            case ReduceOp.Prod: Allreduce<T, ProdOperator<T>>(data, result); break;
            case ReduceOp.Min: Allreduce<T, MinOperator<T>>(data, result); break;
            case ReduceOp.Max: Allreduce<T, MaxOperator<T>>(data, result); break;
            default: throw new ArgumentOutOfRangeException(nameof(op));
        }
    }

    /// <summary>Allreduce with a user operator. Every rank's result is the same, bit for bit.</summary>
    public unsafe void Allreduce<T, TOp>(ReadOnlySpan<T> data, Span<T> result)
        where T : unmanaged
        where TOp : struct, IReduceOperator<T>
    {
        if (result.Length < data.Length)
        {
            throw new ArgumentException("The result buffer is shorter than the data.", nameof(result));
        }
        Span<T> acc = result[..data.Length];
        data.CopyTo(acc);
        int bytes = data.Length * sizeof(T);
        if (BitOperations.IsPow2(Size) && bytes <= RecursiveDoublingLimit)
        {
            T[] incoming = ArrayPool<T>.Shared.Rent(data.Length);
            try
            {
                Span<T> tmp = incoming.AsSpan(0, data.Length);
                fixed (T* a = acc)
                fixed (T* t = tmp)
                {
                    for (int mask = 1; mask < Size; mask <<= 1)
                    {
                        int partner = Rank ^ mask;
                        RequestState receive = StartReceive((byte*)t, bytes, partner, AllreduceTag, CollectiveContext);
                        RequestState send = StartSend((byte*)a, bytes, partner, AllreduceTag, CollectiveContext);
                        CompleteBoth(receive, send);
                        if (partner < Rank)
                        {
                            Combine<T, TOp>(tmp, acc, acc);
                        }
                        else
                        {
                            Combine<T, TOp>(acc, tmp, acc);
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(incoming);
            }
            return;
        }
        ReduceToZero<T, TOp>(acc);
        fixed (T* a = acc)
        {
            BcastBytes((byte*)a, bytes, 0);
        }
    }

    /// <summary>The root receives every rank's <paramref name="data"/>, in rank order, in <paramref name="result"/> (MPI_Gather).</summary>
    public unsafe void Gather<T>(ReadOnlySpan<T> data, Span<T> result, int root)
        where T : unmanaged
    {
        CheckRoot(root);
        int bytes = data.Length * sizeof(T);
        fixed (T* d = data)
        {
            if (Rank != root)
            {
                Complete(StartSend((byte*)d, bytes, root, GatherTag, CollectiveContext));
                return;
            }
        }
        if (result.Length < data.Length * Size)
        {
            throw new ArgumentException("The result buffer holds less than Size blocks.", nameof(result));
        }
        data.CopyTo(result.Slice(Rank * data.Length, data.Length));
        RequestState[] requests = ArrayPool<RequestState>.Shared.Rent(Size);
        try
        {
            fixed (T* r = result)
            {
                for (int rank = 0; rank < Size; rank++)
                {
                    if (rank != root)
                    {
                        requests[rank] = StartReceive((byte*)(r + (rank * data.Length)), bytes, rank, GatherTag, CollectiveContext);
                    }
                }
                WaitAllExcept(requests, root);
            }
        }
        finally
        {
            ArrayPool<RequestState>.Shared.Return(requests, clearArray: true);
        }
    }

    /// <summary>The root sends block i of <paramref name="data"/> to rank i (MPI_Scatter).</summary>
    public unsafe void Scatter<T>(ReadOnlySpan<T> data, Span<T> result, int root)
        where T : unmanaged
    {
        CheckRoot(root);
        int count = result.Length;
        int bytes = count * sizeof(T);
        if (Rank != root)
        {
            fixed (T* r = result)
            {
                Complete(StartReceive((byte*)r, bytes, root, ScatterTag, CollectiveContext));
            }
            return;
        }
        if (data.Length < count * Size)
        {
            throw new ArgumentException("The data holds less than Size blocks.", nameof(data));
        }
        data.Slice(Rank * count, count).CopyTo(result);
        RequestState[] requests = ArrayPool<RequestState>.Shared.Rent(Size);
        try
        {
            fixed (T* d = data)
            {
                for (int rank = 0; rank < Size; rank++)
                {
                    if (rank != root)
                    {
                        requests[rank] = StartSend((byte*)(d + (rank * count)), bytes, rank, ScatterTag, CollectiveContext);
                    }
                }
                WaitAllExcept(requests, root);
            }
        }
        finally
        {
            ArrayPool<RequestState>.Shared.Return(requests, clearArray: true);
        }
    }

    /// <summary>Every rank receives every rank's <paramref name="data"/>, in rank order (MPI_Allgather), around a ring.</summary>
    public unsafe void Allgather<T>(ReadOnlySpan<T> data, Span<T> result)
        where T : unmanaged
    {
        int count = data.Length;
        if (result.Length < count * Size)
        {
            throw new ArgumentException("The result buffer holds less than Size blocks.", nameof(result));
        }
        data.CopyTo(result.Slice(Rank * count, count));
        int bytes = count * sizeof(T);
        int right = (Rank + 1) % Size;
        int left = (Rank - 1 + Size) % Size;
        fixed (T* r = result)
        {
            for (int step = 0; step < Size - 1; step++)
            {
                int sendBlock = (Rank - step + Size) % Size;
                int receiveBlock = (Rank - step - 1 + Size) % Size;
                RequestState receive = StartReceive((byte*)(r + (receiveBlock * count)), bytes, left, AllgatherTag, CollectiveContext);
                RequestState send = StartSend((byte*)(r + (sendBlock * count)), bytes, right, AllgatherTag, CollectiveContext);
                CompleteBoth(receive, send);
            }
        }
    }

    /// <summary>Block j of rank i's <paramref name="data"/> goes to block i of rank j's <paramref name="result"/> (MPI_Alltoall).</summary>
    public unsafe void Alltoall<T>(ReadOnlySpan<T> data, Span<T> result)
        where T : unmanaged
    {
        if (data.Length % Size != 0 || result.Length < data.Length)
        {
            throw new ArgumentException("The data must be Size equal blocks and the result as long.", nameof(data));
        }
        int count = data.Length / Size;
        int bytes = count * sizeof(T);
        data.Slice(Rank * count, count).CopyTo(result.Slice(Rank * count, count));
        fixed (T* d = data)
        fixed (T* r = result)
        {
            for (int step = 1; step < Size; step++)
            {
                int to = (Rank + step) % Size;
                int from = (Rank - step + Size) % Size;
                RequestState receive = StartReceive((byte*)(r + (from * count)), bytes, from, AlltoallTag, CollectiveContext);
                RequestState send = StartSend((byte*)(d + (to * count)), bytes, to, AlltoallTag, CollectiveContext);
                CompleteBoth(receive, send);
            }
        }
    }

    private static void Combine<T, TOp>(ReadOnlySpan<T> left, ReadOnlySpan<T> right, Span<T> result)
        where T : unmanaged
        where TOp : struct, IReduceOperator<T>
    {
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = TOp.Combine(left[i], right[i]);
        }
    }

    private void CheckRoot(int root)
    {
        if ((uint)root >= (uint)Size)
        {
            throw new ArgumentOutOfRangeException(nameof(root), $"Rank {root} is not in this {Size}-rank communicator.");
        }
    }

    private void WaitAllExcept(RequestState[] requests, int skip)
    {
        Exception? first = null;
        for (int rank = 0; rank < Size; rank++)
        {
            if (rank == skip)
            {
                continue;
            }
            try
            {
                Complete(requests[rank]);
            }
            catch (MessagingException e)
            {
                first ??= e;
            }
        }
        if (first is not null)
        {
            throw first;
        }
    }
}
