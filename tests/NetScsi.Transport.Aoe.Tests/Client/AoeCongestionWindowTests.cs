using NetScsi.Transport.Aoe.Client;

namespace NetScsi.Transport.Aoe.Tests.Client;

/// <summary>The client's window: full at start, from one frame after a loss, slow start to half, then one per window.</summary>
public sealed class AoeCongestionWindowTests
{
    [Fact]
    public void StartsAtTheTargetsBufferCount_AndRepliesNeverTakeItPast()
    {
        var window = new AoeCongestionWindow(16);
        for (int i = 0; i < 100; i++)
        {
            window.OnReply();
        }

        Assert.Equal(16, window.Current);
        Assert.Equal(0, window.Reductions);
    }

    [Fact]
    public void ALoss_RestartsFromOne_ThenDoublesEachRoundTripUpToHalf_ThenGrowsByOnePerWindow()
    {
        var window = new AoeCongestionWindow(64);
        window.OnLoss(firstSent: 10, now: 100);
        Assert.Equal(1, window.Current);

        // Slow start: one more frame per reply until the threshold (32).
        int replies = 0;
        while (window.Current < 32)
        {
            window.OnReply();
            replies++;
        }

        Assert.Equal(31, replies);

        // Beyond it: 32 replies for the 33rd frame, 33 more for the 34th.
        for (int i = 0; i < 31; i++)
        {
            window.OnReply();
        }

        Assert.Equal(32, window.Current);
        window.OnReply();
        Assert.Equal(33, window.Current);
        for (int i = 0; i < 33; i++)
        {
            window.OnReply();
        }

        Assert.Equal(34, window.Current);
        Assert.Equal(1, window.Reductions);
    }

    [Fact]
    public void FramesAlreadyInFlightWhenItShrank_DoNotShrinkItAgain_ButALaterLossDoes()
    {
        var window = new AoeCongestionWindow(64);
        window.OnLoss(firstSent: 10, now: 100);
        window.OnLoss(firstSent: 20, now: 105);   // the same episode: sent before the reduction
        window.OnLoss(firstSent: 10, now: 300);   // the first frame's second retransmission
        Assert.Equal(1, window.Reductions);

        for (int i = 0; i < 40; i++)
        {
            window.OnReply();
        }

        int before = window.Current;
        window.OnLoss(firstSent: 400, now: 500);  // sent after the reduction: a new loss
        Assert.Equal(2, window.Reductions);
        Assert.Equal(1, window.Current);

        // The threshold is now half of the window the new loss found.
        int replies = 0;
        while (window.Current < before / 2)
        {
            window.OnReply();
            replies++;
        }

        window.OnReply();
        Assert.Equal(before / 2, window.Current); // one reply past the threshold is not yet a frame more
        Assert.Equal((before / 2) - 1, replies);
    }

    [Fact]
    public void AWindowOfOne_StaysAtLeastOne()
    {
        var window = new AoeCongestionWindow(1);
        window.OnLoss(0, 1);
        window.OnLoss(2, 3);
        Assert.Equal(1, window.Current);
        window.OnReply();
        Assert.Equal(1, window.Current);
    }
}
