using NetScsi.Scsi.Emulation;

namespace NetScsi.Scsi.Tests.Emulation;

public sealed class TaskSetGateTests
{
    [Fact]
    public void Simple_EntersImmediately()
    {
        var gate = new TaskSetGate();

        Assert.True(gate.TryEnter(TaskAttribute.Simple));
        Assert.True(gate.TryEnter(TaskAttribute.Simple));
        Assert.Equal(2, gate.ActiveCount);
        gate.Exit(TaskAttribute.Simple);
        gate.Exit(TaskAttribute.Simple);
        Assert.Equal(0, gate.ActiveCount);
    }

    [Fact]
    public async Task Ordered_WaitsForOlderTasksAndBlocksYoungerOnes()
    {
        var gate = new TaskSetGate();
        Assert.True(gate.TryEnter(TaskAttribute.Simple));

        Assert.False(gate.TryEnter(TaskAttribute.Ordered));
        ValueTask ordered = gate.EnterAsync(TaskAttribute.Ordered, CancellationToken.None);
        Assert.False(ordered.IsCompleted);

        // A younger SIMPLE task queues behind the ORDERED one.
        Assert.False(gate.TryEnter(TaskAttribute.Simple));
        ValueTask younger = gate.EnterAsync(TaskAttribute.Simple, CancellationToken.None);
        Assert.False(younger.IsCompleted);

        gate.Exit(TaskAttribute.Simple);
        await ordered;
        Assert.False(younger.IsCompleted);

        gate.Exit(TaskAttribute.Ordered);
        await younger;
        gate.Exit(TaskAttribute.Simple);

        Assert.True(gate.TryEnter(TaskAttribute.Simple));
        gate.Exit(TaskAttribute.Simple);
    }

    [Fact]
    public async Task HeadOfQueue_EntersEvenBehindOrdered()
    {
        var gate = new TaskSetGate();
        Assert.True(gate.TryEnter(TaskAttribute.Simple));
        ValueTask ordered = gate.EnterAsync(TaskAttribute.Ordered, CancellationToken.None);

        Assert.True(gate.TryEnter(TaskAttribute.HeadOfQueue));

        gate.Exit(TaskAttribute.Simple);
        Assert.False(ordered.IsCompleted);
        gate.Exit(TaskAttribute.HeadOfQueue);
        await ordered;
        gate.Exit(TaskAttribute.Ordered);
    }

    [Fact]
    public async Task CancelledWaiter_DoesNotBlockTheQueue()
    {
        var gate = new TaskSetGate();
        Assert.True(gate.TryEnter(TaskAttribute.Simple));
        using var cts = new CancellationTokenSource();
        ValueTask ordered = gate.EnterAsync(TaskAttribute.Ordered, cts.Token);
        ValueTask younger = gate.EnterAsync(TaskAttribute.Simple, CancellationToken.None);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await ordered);
        gate.Exit(TaskAttribute.Simple);

        await younger;
        gate.Exit(TaskAttribute.Simple);
        Assert.Equal(0, gate.ActiveCount);
        Assert.True(gate.TryEnter(TaskAttribute.Simple));
    }

    [Fact]
    public async Task ManyConcurrentTasks_AllComplete()
    {
        var gate = new TaskSetGate();
        int running = 0;
        int orderedViolations = 0;

        async Task RunAsync(TaskAttribute attribute)
        {
            if (!gate.TryEnter(attribute))
            {
                await gate.EnterAsync(attribute, CancellationToken.None);
            }
            int now = Interlocked.Increment(ref running);
            if (attribute == TaskAttribute.Ordered && now != 1)
            {
                Interlocked.Increment(ref orderedViolations);
            }
            await Task.Yield();
            Interlocked.Decrement(ref running);
            gate.Exit(attribute);
        }

        var tasks = new List<Task>();
        for (int i = 0; i < 2000; i++)
        {
            TaskAttribute attribute = i % 17 == 0 ? TaskAttribute.Ordered : TaskAttribute.Simple;
            tasks.Add(Task.Run(() => RunAsync(attribute)));
        }
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, orderedViolations);
        Assert.Equal(0, gate.ActiveCount);
    }
}
