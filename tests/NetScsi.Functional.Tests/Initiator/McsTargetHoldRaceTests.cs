using Xunit.Abstractions;

namespace NetScsi.Functional.Tests.Initiator;

/// <summary>
/// A deep queue over four connections against NetScsi's target: commands reach it out of CmdSN order across connections,
/// so it holds some behind a hole (RFC 7143 §3.2.2.1).
/// </summary>
public sealed class McsTargetHoldRaceTests(ITestOutputHelper output)
{
    /// <remarks>
    /// It found a race in the target: <c>TargetSession.TryAcceptCmdSN</c> decided "held" and released its lock, and
    /// <c>BeginCommand</c> put the command into the reorder buffer later; when the in-order command arrived on another
    /// connection in between, its <c>ReleaseHeld</c> found nothing to release, ExpCmdSN stopped at the held command's
    /// CmdSN, and it and every later command waited forever (the initiator's ExpCmdSN 13192, CmdSN 13200, all eight
    /// commands in the target's in-flight count, none answered). It failed within seconds then.
    /// </remarks>
    [Fact]
    public async Task Connections4_QueueDepth8InlineCompletions_EveryCommandIsAnswered()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync(o =>
        {
            o.Connections = 4;
            o.InlineCompletions = true;
            o.CommandTimeout = TimeSpan.FromSeconds(60);
        });
        Assert.Equal(4, session.ConnectionCount);
        long done = 0;
        var stop = DateTime.UtcNow + TimeSpan.FromSeconds(4);
        async Task WorkerAsync(int seed)
        {
            var random = new Random(seed);
            while (DateTime.UtcNow < stop)
            {
                using var buffer = await session.ReadPooledAsync(0, (ulong)random.Next(0, 100000), 8);
                Interlocked.Increment(ref done);
            }
        }

        var all = Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => WorkerAsync(i))));
        try
        {
            await all.WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (TimeoutException)
        {
            output.WriteLine(session.DescribeForTest());
            output.WriteLine("target in flight: " + target.Server.GetSessions()[0].CommandsInFlight);
            throw;
        }

        output.WriteLine($"done {done}: " + string.Join(", ", session.CommandsIssuedPerConnection()));
    }
}
