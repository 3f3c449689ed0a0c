using System.Buffers;
using System.Runtime.InteropServices;

namespace NetScsi.Messaging;

/// <summary>
/// A group of ranks with its own message space (MPI_Comm): messages sent on one communicator only match receives
/// on it. Ranks are numbered 0..<see cref="Size"/>-1 within it. Point-to-point operations move spans of unmanaged
/// types; the blocking ones return when the buffer may be reused (send) or holds the message (receive).
/// </summary>
public sealed partial class Communicator
{
    /// <summary>A receive that takes a message from any source (MPI_ANY_SOURCE).</summary>
    public const int AnySource = -1;

    /// <summary>A receive that takes a message of any tag (MPI_ANY_TAG).</summary>
    public const int AnyTag = -1;

    /// <summary>The color of a rank that joins no communicator in <see cref="Split"/> (MPI_UNDEFINED).</summary>
    public const int Undefined = -1;

    /// <summary>Largest tag a program may use (MPI_TAG_UB).</summary>
    public const int MaxTag = int.MaxValue;

    private readonly MessagingWorld _world;
    private readonly int[] _group;
    private readonly int[] _rankOfWorld;

    internal Communicator(MessagingWorld world, int[] group, int context)
    {
        _world = world;
        _group = group;
        _rankOfWorld = new int[world.Size];
        Array.Fill(_rankOfWorld, -1);
        for (int i = 0; i < group.Length; i++)
        {
            _rankOfWorld[group[i]] = i;
        }
        Context = context;
        Rank = _rankOfWorld[world.Rank];
        Size = group.Length;
    }

    /// <summary>This rank in the communicator.</summary>
    public int Rank { get; }

    /// <summary>How many ranks the communicator has.</summary>
    public int Size { get; }

    /// <summary>The world this communicator belongs to.</summary>
    public MessagingWorld World => _world;

    /// <summary>The context id of point-to-point traffic; collectives use the next one, so they never match user receives.</summary>
    internal int Context { get; }

    private int CollectiveContext => Context + 1;

    internal int RankOfWorld(int worldRank) => _rankOfWorld[worldRank];

    /// <summary>The world rank of a rank of this communicator.</summary>
    public int WorldRankOf(int rank)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, Size);
        return _group[rank];
    }

    // ---- point to point ----

    /// <summary>Sends <paramref name="data"/> to <paramref name="destination"/> (MPI_Send); returns when the buffer may be reused.</summary>
    public unsafe void Send<T>(ReadOnlySpan<T> data, int destination, int tag)
        where T : unmanaged
    {
        CheckTag(tag);
        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(data);
        fixed (byte* pointer = bytes)
        {
            Complete(StartSend(pointer, bytes.Length, destination, tag, Context));
        }
    }

    /// <summary>Receives a message into <paramref name="buffer"/> (MPI_Recv); source and tag may be wildcards.</summary>
    public unsafe Status Recv<T>(Span<T> buffer, int source, int tag)
        where T : unmanaged
    {
        CheckReceiveTag(tag);
        Span<byte> bytes = MemoryMarshal.AsBytes(buffer);
        fixed (byte* pointer = bytes)
        {
            return Complete(StartReceive(pointer, bytes.Length, source, tag, Context));
        }
    }

    /// <summary>Starts a send (MPI_Isend); the buffer must not change until the request completes.</summary>
    public unsafe Request Isend<T>(ReadOnlyMemory<T> data, int destination, int tag)
        where T : unmanaged
    {
        CheckTag(tag);
        MemoryHandle pin = data.Pin();
        RequestState state;
        try
        {
            state = StartSend((byte*)pin.Pointer, data.Length * sizeof(T), destination, tag, Context, pin);
        }
        catch
        {
            pin.Dispose();
            throw;
        }
        return new Request(state);
    }

    /// <summary>Starts a receive (MPI_Irecv) into <paramref name="buffer"/>; source and tag may be wildcards.</summary>
    public unsafe Request Irecv<T>(Memory<T> buffer, int source, int tag)
        where T : unmanaged
    {
        CheckReceiveTag(tag);
        MemoryHandle pin = buffer.Pin();
        RequestState state;
        try
        {
            state = StartReceive((byte*)pin.Pointer, buffer.Length * sizeof(T), source, tag, Context, pin);
        }
        catch
        {
            pin.Dispose();
            throw;
        }
        return new Request(state);
    }

    /// <summary>Sends and receives at once (MPI_Sendrecv): no deadlock whatever the partners' order.</summary>
    public unsafe Status Sendrecv<TSend, TReceive>(ReadOnlySpan<TSend> data, int destination, int sendTag, Span<TReceive> buffer, int source, int receiveTag)
        where TSend : unmanaged
        where TReceive : unmanaged
    {
        CheckTag(sendTag);
        CheckReceiveTag(receiveTag);
        ReadOnlySpan<byte> sendBytes = MemoryMarshal.AsBytes(data);
        Span<byte> receiveBytes = MemoryMarshal.AsBytes(buffer);
        fixed (byte* send = sendBytes)
        fixed (byte* receive = receiveBytes)
        {
            RequestState r = StartReceive(receive, receiveBytes.Length, source, receiveTag, Context);
            RequestState s = StartSend(send, sendBytes.Length, destination, sendTag, Context);
            return CompleteBoth(r, s);
        }
    }

    /// <summary>Blocks until a matching message has arrived and returns its status without receiving it (MPI_Probe).</summary>
    public Status Probe(int source, int tag)
    {
        CheckReceiveTag(tag);
        _world.TryProbe(Context, SourceWorldRank(source), tag, block: true, out Envelope found);
        return new Status(RankOfWorld(found.Source), found.Tag, found.Length);
    }

    /// <summary>Whether a matching message has arrived (MPI_Iprobe).</summary>
    public bool Iprobe(int source, int tag, out Status status)
    {
        CheckReceiveTag(tag);
        bool found = _world.TryProbe(Context, SourceWorldRank(source), tag, block: false, out Envelope envelope);
        status = found ? new Status(RankOfWorld(envelope.Source), envelope.Tag, envelope.Length) : default;
        return found;
    }

    // ---- communicators ----

    /// <summary>A new communicator of the same ranks with its own message space (MPI_Comm_dup). Collective.</summary>
    public Communicator Dup() => new(_world, _group, AgreeOnContext());

    /// <summary>
    /// Splits the ranks by <paramref name="color"/> (MPI_Comm_split): the ranks giving one color form a communicator,
    /// ordered by <paramref name="key"/> then by their rank here; a rank giving <see cref="Undefined"/> gets null. Collective.
    /// </summary>
    public Communicator? Split(int color, int key)
    {
        if (color < Undefined)
        {
            throw new ArgumentOutOfRangeException(nameof(color), "A color is non-negative or Undefined.");
        }
        int[] mine = [color, key];
        int[] all = new int[2 * Size];
        Allgather<int>(mine, all);
        int context = AgreeOnContext();
        if (color == Undefined)
        {
            return null;
        }
        var members = new List<(int Key, int Rank)>();
        for (int rank = 0; rank < Size; rank++)
        {
            if (all[2 * rank] == color)
            {
                members.Add((all[(2 * rank) + 1], rank));
            }
        }
        members.Sort();
        int[] group = new int[members.Count];
        for (int i = 0; i < group.Length; i++)
        {
            group[i] = _group[members[i].Rank];
        }
        return new Communicator(_world, group, context);
    }

    /// <summary>A context id no rank of this communicator uses yet: the largest candidate among them.</summary>
    private int AgreeOnContext()
    {
        int[] candidate = [_world.AllocateContextCandidate()];
        int[] agreed = new int[1];
        Allreduce<int>(candidate, agreed, ReduceOp.Max);
        _world.CommitContext(agreed[0]);
        return agreed[0];
    }

    // ---- internals ----

    private static void CheckTag(int tag)
    {
        if (tag < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(tag), "A send's tag is 0..MaxTag.");
        }
    }

    private static void CheckReceiveTag(int tag)
    {
        if (tag < AnyTag)
        {
            throw new ArgumentOutOfRangeException(nameof(tag), "A receive's tag is 0..MaxTag or AnyTag.");
        }
    }

    private int SourceWorldRank(int source)
    {
        if (source == AnySource)
        {
            return AnySource;
        }
        if ((uint)source >= (uint)Size)
        {
            throw new ArgumentOutOfRangeException(nameof(source), $"Rank {source} is not in this {Size}-rank communicator.");
        }
        return _group[source];
    }

    internal unsafe RequestState StartSend(byte* pointer, int length, int destination, int tag, int context, MemoryHandle pin = default)
    {
        if ((uint)destination >= (uint)Size)
        {
            throw new ArgumentOutOfRangeException(nameof(destination), $"Rank {destination} is not in this {Size}-rank communicator.");
        }
        _world.ThrowIfFailed();
        RequestState state = _world.RentRequest();
        state.Prepare(RequestKind.Send, pointer, length, context, _group[destination], tag, this);
        if (pin.Pointer is not null)
        {
            state.HoldPin(pin);
        }
        _world.StartSend(state);
        return state;
    }

    internal unsafe RequestState StartReceive(byte* pointer, int length, int source, int tag, int context, MemoryHandle pin = default)
    {
        int worldSource = SourceWorldRank(source);
        _world.ThrowIfFailed();
        RequestState state = _world.RentRequest();
        state.Prepare(RequestKind.Receive, pointer, length, context, worldSource, tag, this);
        if (pin.Pointer is not null)
        {
            state.HoldPin(pin);
        }
        _world.PostReceive(state);
        return state;
    }

    internal static Status Complete(RequestState state)
    {
        state.WaitDone();
        return state.Finish();
    }

    private static Status CompleteBoth(RequestState receive, RequestState send)
    {
        receive.WaitDone();
        send.WaitDone();
        Status status;
        try
        {
            status = receive.Finish();
        }
        finally
        {
            send.Finish();
        }
        return status;
    }
}
