using Xunit.Abstractions;

namespace NetScsi.Functional.Tests.Initiator;

/// <summary>
/// A deep queue over four connections against NetScsi's target: commands reach it out of CmdSN order across connections,
/// so it holds some behind a hole (RFC 7143 §3.2.2.1).
/// </summary>
public sealed class McsTargetHoldRaceTests(ITestOutputHelper output)
{
    /// <remarks>
    /// Skipped: it exposes a race in the target (main at c732cf3): <c>TargetSession.TryAcceptCmdSN</c> decides "held" and
    /// releases its lock, and <c>BeginCommand</c> puts the command into the reorder buffer later; if the in-order
    /// command arrives on another connection in between, its <c>ReleaseHeld</c> finds nothing to release, ExpCmdSN
    /// stops at the held command's CmdSN, and it and every later command wait forever (seen: the initiator's
    /// ExpCmdSN 13192, CmdSN 13200, all eight commands in the target's in-flight count, none answered). Fails within
    /// seconds without the skip; LIO runs the same workload.
    /// </remarks>
    [Fact(Skip = "target race: a command held between TryAcceptCmdSN and BeginCommand is never released (TargetSession, not the initiator)")]
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
