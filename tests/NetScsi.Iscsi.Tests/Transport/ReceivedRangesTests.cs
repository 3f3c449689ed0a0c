using NetScsi.Transport;

namespace NetScsi.Iscsi.Tests.Transport;

/// <summary>The out-of-order Data-Out bookkeeping: every byte once, any order, a bounded number of gaps.</summary>
public sealed class ReceivedRangesTests
{
    [Fact]
    public void InOrder_StaysOneRange()
    {
        var ranges = new ReceivedRanges();
        for (int i = 0; i < 100; i++)
        {
            Assert.True(ranges.TryAdd(i * 512, (i + 1) * 512));
        }
        Assert.Equal(1, ranges.Count);
    }

    [Fact]
    public void AnyOrder_MergesIntoOneRangeWhenTheGapsFill()
    {
        var ranges = new ReceivedRanges();
        int[] order = [5, 1, 7, 0, 3, 2, 6, 4];
        foreach (int piece in order)
        {
            Assert.True(ranges.TryAdd(piece * 100, (piece + 1) * 100));
        }
        Assert.Equal(1, ranges.Count);
    }

    [Theory]
    [InlineData(100, 200)]  // the same range again
    [InlineData(150, 160)]  // inside it
    [InlineData(50, 101)]   // overlapping its start
    [InlineData(199, 300)]  // overlapping its end
    [InlineData(0, 1000)]   // covering it
    public void Overlap_IsRefusedAndRecordsNothing(int start, int end)
    {
        var ranges = new ReceivedRanges();
        Assert.True(ranges.TryAdd(100, 200));
        Assert.False(ranges.TryAdd(start, end));
        Assert.Equal(1, ranges.Count);
        Assert.True(ranges.TryAdd(0, 100));
        Assert.True(ranges.TryAdd(200, 300));
        Assert.Equal(1, ranges.Count);
    }

    [Fact]
    public void ReachingIntoTheNextRange_IsRefused()
    {
        var ranges = new ReceivedRanges();
        Assert.True(ranges.TryAdd(0, 100));
        Assert.True(ranges.TryAdd(300, 400));
        Assert.False(ranges.TryAdd(100, 301));
        Assert.True(ranges.TryAdd(100, 300));
        Assert.Equal(1, ranges.Count);
    }

    [Fact]
    public void Gaps_AreBounded()
    {
        var ranges = new ReceivedRanges();
        for (int i = 0; i < ReceivedRanges.MaxRanges; i++)
        {
            Assert.True(ranges.TryAdd(i * 2, (i * 2) + 1));
        }
        Assert.Equal(ReceivedRanges.MaxRanges, ranges.Count);
        Assert.False(ranges.TryAdd(ReceivedRanges.MaxRanges * 2, (ReceivedRanges.MaxRanges * 2) + 1)); // one gap too many
        Assert.True(ranges.TryAdd(1, 2));                                                              // filling one is fine
        Assert.Equal(ReceivedRanges.MaxRanges - 1, ranges.Count);
    }

    [Fact]
    public void Clear_ForgetsEverything()
    {
        var ranges = new ReceivedRanges();
        Assert.True(ranges.TryAdd(0, 10));
        ranges.Clear();
        Assert.True(ranges.TryAdd(0, 10));
        Assert.Equal(1, ranges.Count);
    }
}
