using NetScsi.Transport.Tcp;

namespace NetScsi.Functional.Tests.Transport;

/// <summary><see cref="PollBackoff"/>: polls while polls find something, backs off doubling after misses, and recovers.</summary>
public sealed class PollBackoffTests
{
    /// <summary>Chances until the next poll (the one that polls included).</summary>
    private static int ChancesUntilPoll(ref PollBackoff backoff)
    {
        int chances = 1;
        while (!backoff.ShouldPoll())
        {
            chances++;
        }

        return chances;
    }

    [Fact]
    public void PollsEveryTime_WhileEachPollFinds()
    {
        var backoff = new PollBackoff();
        for (int i = 0; i < 100; i++)
        {
            Assert.True(backoff.ShouldPoll());
            backoff.Note(found: true);
        }
    }

    [Fact]
    public void MissesInARow_SkipFourThenDoubling_UpTo1024()
    {
        var backoff = new PollBackoff();
        Assert.True(backoff.ShouldPoll());
        var skipped = new List<int>();
        for (int miss = 0; miss < 11; miss++)
        {
            backoff.Note(found: false);
            skipped.Add(ChancesUntilPoll(ref backoff) - 1);
        }

        Assert.Equal([4, 8, 16, 32, 64, 128, 256, 512, 1024, 1024, 1024], skipped);
    }

    [Fact]
    public void AHit_AfterMisses_PollsEveryTimeAgain_AndTheNextMissStartsAtFour()
    {
        var backoff = new PollBackoff();
        backoff.Note(found: false);
        backoff.Note(found: false);
        ChancesUntilPoll(ref backoff);
        backoff.Note(found: true);
        Assert.True(backoff.ShouldPoll());
        backoff.Note(found: false);
        Assert.Equal(PollBackoff.FirstSkip + 1, ChancesUntilPoll(ref backoff));
    }
}
