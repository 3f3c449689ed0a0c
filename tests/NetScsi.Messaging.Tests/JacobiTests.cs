using NetScsi.Examples.Jacobi;

namespace NetScsi.Messaging.Tests;

/// <summary>The example application: the same grid, bit for bit, whatever the number of ranks.</summary>
public sealed class JacobiTests
{
    [Fact]
    public async Task Jacobi_OnOneToFiveRanks_GivesTheSingleRankGrid_BitForBit()
    {
        var results = new List<JacobiResult>();
        for (int ranks = 1; ranks <= 5; ranks++)
        {
            await using Cluster cluster = await Cluster.StartAsync(ranks);
            JacobiResult result = default;
            await cluster.RunAsync(comm =>
            {
                JacobiResult r = JacobiSolver.Solve(comm, 40, 37, 1e-3, 300);
                if (comm.Rank == 0)
                {
                    result = r;
                }
            });
            results.Add(result);
        }
        Assert.True(results[0].Iterations is > 10 and < 300, $"{results[0].Iterations} iterations: the tolerance should end it");
        Assert.All(results, r => Assert.Equal(results[0], r));
    }
}
