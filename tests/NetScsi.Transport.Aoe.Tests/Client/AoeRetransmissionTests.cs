using NetScsi.Transport.Aoe.Client;

namespace NetScsi.Transport.Aoe.Tests.Client;

/// <summary>The client's RTT estimate and tag table as state machines: time is a number the test advances.</summary>
public sealed class AoeRetransmissionTests
{
    private const long Ms = 1000; // ticks of the fake clock: microseconds

    private static AoeTagTable Table(int capacity = 4, long giveUp = 10_000 * Ms) =>
        new(capacity, new AoeRttEstimator(200 * Ms, 20 * Ms, 2000 * Ms), giveUp, nonce: 0xA5);

    [Fact]
    public void Estimator_BeforeAnySample_UsesTheInitialTimeout()
    {
        var rtt = new AoeRttEstimator(200 * Ms, 20 * Ms, 2000 * Ms);
        Assert.False(rtt.HasSample);
        Assert.Equal(200 * Ms, rtt.RetransmitTimeout);
    }

    [Fact]
    public void Estimator_FollowsRfc6298Gains_AndClampsToTheFloor()
    {
        var rtt = new AoeRttEstimator(200 * Ms, 20 * Ms, 2000 * Ms);
        rtt.Sample(100 * Ms);
        Assert.Equal(100 * Ms, rtt.SmoothedRtt);
        Assert.Equal(50 * Ms, rtt.RttVariation);
        Assert.Equal(300 * Ms, rtt.RetransmitTimeout);
        rtt.Sample(20 * Ms);
        // RTTVAR = 3/4 * 50 + 1/4 * |100 - 20| = 57.5; SRTT = 7/8 * 100 + 1/8 * 20 = 90.
        Assert.Equal(57_500, rtt.RttVariation);
        Assert.Equal(90 * Ms, rtt.SmoothedRtt);
        for (int i = 0; i < 200; i++)
        {
            rtt.Sample(50);
        }

        Assert.Equal(20 * Ms, rtt.RetransmitTimeout);
    }

    [Fact]
    public void BackOff_Doubles_UpToTheCeiling()
    {
        var rtt = new AoeRttEstimator(200 * Ms, 20 * Ms, 2000 * Ms);
        Assert.Equal(400 * Ms, rtt.BackOff(200 * Ms));
        Assert.Equal(2000 * Ms, rtt.BackOff(1200 * Ms));
        Assert.Equal(2000 * Ms, rtt.BackOff(2000 * Ms));
    }

    [Fact]
    public void Reply_CompletesItsSlot_SamplesTheRtt_AndFreesIt()
    {
        var table = Table();
        Assert.True(table.TryAcquire(out int slot, out uint tag));
        Assert.Equal(0xA5u, tag >> 24);
        table.MarkSent(slot, 1000 * Ms);
        Assert.Equal(1, table.InFlight);
        Assert.True(table.TryComplete(tag, 1030 * Ms, out int completed));
        Assert.Equal(slot, completed);
        Assert.Equal(0, table.InFlight);
        Assert.Equal(30 * Ms, table.Rtt.SmoothedRtt);
        Assert.False(table.TryComplete(tag, 1031 * Ms, out _));
        Assert.Equal(1, table.StaleReplies);
    }

    [Fact]
    public void Table_Full_RefusesAnotherFrame_UntilOneCompletes()
    {
        var table = Table(capacity: 2);
        Assert.True(table.TryAcquire(out int a, out uint tagA));
        Assert.True(table.TryAcquire(out _, out _));
        Assert.False(table.TryAcquire(out _, out _));
        table.MarkSent(a, 0);
        Assert.True(table.TryComplete(tagA, 5 * Ms, out _));
        Assert.True(table.TryAcquire(out int again, out uint tagAgain));
        Assert.Equal(a, again);
        Assert.NotEqual(tagA, tagAgain);
    }

    [Fact]
    public void LateReplyToAnEarlierUseOfTheSlot_IsStale()
    {
        var table = Table(capacity: 1);
        table.TryAcquire(out int slot, out uint first);
        table.MarkSent(slot, 0);
        table.TryComplete(first, 1 * Ms, out _);
        table.TryAcquire(out _, out uint second);
        table.MarkSent(slot, 2 * Ms);
        Assert.False(table.TryComplete(first, 3 * Ms, out _));
        Assert.True(table.TryComplete(second, 4 * Ms, out _));
    }

    [Fact]
    public void AnotherClientsTag_ForTheSameSlot_IsStale()
    {
        var ours = Table(capacity: 1);
        var theirs = new AoeTagTable(1, new AoeRttEstimator(200 * Ms, 20 * Ms, 2000 * Ms), 10_000 * Ms, nonce: 0x5A);
        ours.TryAcquire(out int slot, out _);
        ours.MarkSent(slot, 0);
        theirs.TryAcquire(out _, out uint foreign);
        Assert.False(ours.TryComplete(foreign, 1 * Ms, out _));
        Assert.Equal(1, ours.InFlight);
    }

    [Fact]
    public void Timeout_RetransmitsWithDoubledTimers_ThenGivesUpAtTheBound()
    {
        var table = Table(giveUp: 1000 * Ms);
        table.TryAcquire(out int slot, out uint tag);
        table.MarkSent(slot, 0);
        Span<int> expired = stackalloc int[4];
        Assert.Equal(0, table.CollectExpired(199 * Ms, expired));
        Assert.Equal(200 * Ms, table.NextDeadline());

        var deadlines = new List<long>();
        long now = 200 * Ms;
        while (true)
        {
            Assert.Equal(1, table.CollectExpired(now, expired));
            var action = table.OnTimeout(slot, now);
            if (action == AoeTimeoutAction.GiveUp)
            {
                break;
            }

            deadlines.Add(table.NextDeadline());
            now = table.NextDeadline();
        }

        // 200 ms first wait, then 400, then 800 (cut to the 1 s bound): sent at 0, 200 and 600 ms, given up at 1000.
        Assert.Equal([600 * Ms, 1000 * Ms], deadlines);
        Assert.Equal(1000 * Ms, now);
        Assert.Equal(2, table.Retransmissions);
        Assert.Equal(1, table.GiveUps);
        Assert.Equal(0, table.InFlight);
        Assert.False(table.TryComplete(tag, now + 1, out _));
    }

    [Fact]
    public void ReplyToARetransmittedFrame_CompletesIt_ButIsNotSampled()
    {
        var table = Table();
        table.TryAcquire(out int slot, out uint tag);
        table.MarkSent(slot, 0);
        Assert.Equal(AoeTimeoutAction.Retransmit, table.OnTimeout(slot, 200 * Ms));
        Assert.Equal(2, table.TransmissionsOf(slot));
        Assert.True(table.TryComplete(tag, 201 * Ms, out _));
        // Karn: which copy did it answer? No sample.
        Assert.False(table.Rtt.HasSample);
    }
}
