using System.Buffers;

namespace NetScsi.Iscsi.Tests.Pdus;

/// <summary>Builds multi-segment <see cref="ReadOnlySequence{T}"/>s, as a pipe holding several buffers would hand over.</summary>
internal sealed class Segment : ReadOnlySequenceSegment<byte>
{
    private Segment(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    private Segment Append(ReadOnlyMemory<byte> memory)
    {
        var next = new Segment(memory, RunningIndex + Memory.Length);
        Next = next;
        return next;
    }

    /// <summary>One segment per chunk, in order (empty chunks allowed).</summary>
    public static ReadOnlySequence<byte> Sequence(params ReadOnlyMemory<byte>[] chunks)
    {
        if (chunks.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }
        var first = new Segment(chunks[0], 0);
        var last = first;
        for (int i = 1; i < chunks.Length; i++)
        {
            last = last.Append(chunks[i]);
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary><paramref name="bytes"/> cut at the given offsets.</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, params int[] cuts)
    {
        var chunks = new List<ReadOnlyMemory<byte>>();
        int start = 0;
        foreach (int cut in cuts)
        {
            chunks.Add(bytes.AsMemory(start, cut - start));
            start = cut;
        }
        chunks.Add(bytes.AsMemory(start));
        return Sequence([.. chunks]);
    }

    /// <summary>Every byte in its own segment: the worst case for code that assumes contiguous memory.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] bytes)
        => Sequence([.. Enumerable.Range(0, bytes.Length).Select(i => (ReadOnlyMemory<byte>)bytes.AsMemory(i, 1))]);
}
