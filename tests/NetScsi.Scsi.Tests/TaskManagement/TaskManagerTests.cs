using NetScsi.Iscsi.Session;
using NetScsi.Scsi.TaskManagement;

namespace NetScsi.Scsi.Tests.TaskManagement;

/// <summary>
/// SAM-5 §7 task management in the SCSI layer: which nexus' tasks each function aborts, on which units,
/// and which unit events follow — with a transport stand-in that records what it is told to abort.
/// </summary>
public sealed class TaskManagerTests
{
    private static readonly ItNexus NexusA = IscsiTransportIdCodec.CreateNexus("iqn.2024-01.test:a", 1, 1);
    private static readonly ItNexus NexusB = IscsiTransportIdCodec.CreateNexus("iqn.2024-01.test:b", 2, 1);

    private readonly RecordingUnit _lun0 = new();
    private readonly RecordingUnit _lun1 = new();
    private readonly ScsiTargetDevice _device;
    private readonly TaskManager _manager;
    private readonly FakeTaskSet _a;
    private readonly FakeTaskSet _b;

    public TaskManagerTests()
    {
        _device = new ScsiTargetDevice([new(0, _lun0), new(1, _lun1)]);
        _manager = new TaskManager(_device);
        _a = new FakeTaskSet(NexusA, _device);
        _b = new FakeTaskSet(NexusB, _device);
        _manager.AddNexus(_a);
        _manager.AddNexus(_b);
        // Each nexus holds tags 1 and 2 on LUN 0 and tag 3 on LUN 1.
        foreach (var set in new[] { _a, _b })
        {
            set.Add(1, _lun0);
            set.Add(2, _lun0);
            set.Add(3, _lun1);
        }
    }

    [Fact]
    public void AbortTask_AbortsOnlyTheNamedTaskOfTheRequester()
    {
        var outcome = _manager.Execute(_a, TaskManagementFunction.AbortTask, ScsiTargetDevice.EncodeLun(0), 2, null);

        Assert.Equal(TaskManagementOutcome.Complete(1), outcome);
        Assert.Equal([1ul, 3ul], _a.Remaining);
        Assert.Equal([1ul, 2ul, 3ul], _b.Remaining);
        Assert.Empty(_lun0.Events);
    }

    [Fact]
    public void AbortTask_ForATaskNotHeld_IsCompleteWithNothingAborted()
    {
        var outcome = _manager.Execute(_a, TaskManagementFunction.AbortTask, ScsiTargetDevice.EncodeLun(0), 99, null);

        Assert.Equal(TaskManagementOutcome.Complete(0), outcome);
        Assert.Equal(3, _a.Remaining.Count);
    }

    [Fact]
    public void AbortTaskSet_AbortsTheRequestersTasksOnThatUnitOnly()
    {
        var outcome = _manager.Execute(_a, TaskManagementFunction.AbortTaskSet, ScsiTargetDevice.EncodeLun(0), 0, null);

        Assert.Equal(TaskManagementOutcome.Complete(2), outcome);
        Assert.Equal([3ul], _a.Remaining);
        Assert.Equal([1ul, 2ul, 3ul], _b.Remaining);
        Assert.Empty(_lun0.Events);
    }

    [Fact]
    public void ClearTaskSet_AbortsEveryNexusTasksOnThatUnit_AndTellsTheUnit()
    {
        var outcome = _manager.Execute(_a, TaskManagementFunction.ClearTaskSet, ScsiTargetDevice.EncodeLun(0), 0, null);

        Assert.Equal(TaskManagementOutcome.Complete(4), outcome);
        Assert.Equal([3ul], _a.Remaining);
        Assert.Equal([3ul], _b.Remaining);
        Assert.Equal([(LogicalUnitEvent.CommandsClearedByAnotherInitiator, NexusA)], _lun0.Events);
        Assert.Empty(_lun1.Events);
    }

    [Fact]
    public void LogicalUnitReset_AbortsEveryNexusTasksOnThatUnit_AndResetsIt()
    {
        var outcome = _manager.Execute(_b, TaskManagementFunction.LogicalUnitReset, ScsiTargetDevice.EncodeLun(1), 0, null);

        Assert.Equal(TaskManagementOutcome.Complete(2), outcome);
        Assert.Equal([1ul, 2ul], _a.Remaining);
        Assert.Equal([1ul, 2ul], _b.Remaining);
        Assert.Equal([(LogicalUnitEvent.LogicalUnitReset, NexusB)], _lun1.Events);
        Assert.Empty(_lun0.Events);
    }

    [Theory]
    [InlineData(TaskManagementFunction.AbortTaskSet)]
    [InlineData(TaskManagementFunction.ClearTaskSet)]
    [InlineData(TaskManagementFunction.LogicalUnitReset)]
    public void UnitFunctions_OnALunTheNexusCannotAddress_AreIncorrectLunAndAbortNothing(TaskManagementFunction function)
    {
        var outcome = _manager.Execute(_a, function, ScsiTargetDevice.EncodeLun(7), 0, null);

        Assert.Equal(TaskManagementOutcome.IncorrectLun, outcome);
        Assert.Equal(3, _a.Remaining.Count);
        Assert.Equal(3, _b.Remaining.Count);
    }

    [Fact]
    public void ItNexusReset_AbortsTheRequestersTasksEverywhere_AndEachUnitSeesItsNexusLoss()
    {
        var outcome = _manager.Execute(_a, TaskManagementFunction.ItNexusReset, 0, 0, null);

        Assert.Equal(TaskManagementOutcome.Complete(3), outcome);
        Assert.Empty(_a.Remaining);
        Assert.Equal(3, _b.Remaining.Count);
        Assert.Equal([(LogicalUnitEvent.NexusLoss, NexusA)], _lun0.Events);
        Assert.Equal([(LogicalUnitEvent.NexusLoss, NexusA)], _lun1.Events);
    }

    [Theory]
    [InlineData(TaskManagementFunction.TargetWarmReset, LogicalUnitEvent.TargetWarmReset)]
    [InlineData(TaskManagementFunction.TargetColdReset, LogicalUnitEvent.TargetColdReset)]
    public void TargetResets_AbortEveryTask_AndResetEveryUnit(TaskManagementFunction function, LogicalUnitEvent expected)
    {
        var outcome = _manager.Execute(_b, function, 0, 0, null);

        Assert.Equal(TaskManagementOutcome.Complete(6), outcome);
        Assert.Empty(_a.Remaining);
        Assert.Empty(_b.Remaining);
        Assert.Equal([(expected, NexusB)], _lun0.Events);
        Assert.Equal([(expected, NexusB)], _lun1.Events);
    }

    [Fact]
    public void StoppedTasks_OfExecutingCommands_AreHandedBackForTheWait()
    {
        var stopped = new List<Task>();

        _manager.Execute(_a, TaskManagementFunction.LogicalUnitReset, ScsiTargetDevice.EncodeLun(0), 0, stopped);

        Assert.Equal(4, stopped.Count);
    }

    [Fact]
    public void NexusLoss_AbortsItsTasksAndTellsItsUnits_Once()
    {
        Assert.True(_manager.OnNexusLoss(_a));
        Assert.False(_manager.OnNexusLoss(_a));

        Assert.Empty(_a.Remaining);
        Assert.Equal(3, _b.Remaining.Count);
        Assert.Equal([(LogicalUnitEvent.NexusLoss, NexusA)], _lun0.Events);
        Assert.Equal(1, _manager.NexusCount);
    }

    [Fact]
    public void ALostNexus_IsNoLongerReachedByTargetResets()
    {
        _manager.OnNexusLoss(_a);
        _a.Add(9, _lun0);

        var outcome = _manager.Execute(_b, TaskManagementFunction.TargetWarmReset, 0, 0, null);

        Assert.Equal(TaskManagementOutcome.Complete(3), outcome);
        Assert.Equal([9ul], _a.Remaining);
    }

    [Fact]
    public void PreemptAndAbortFromAUnit_AbortsTheListedNexusesTasksOnThatUnit()
    {
        var unit = new AbortingUnit();
        var withSource = new ScsiTargetDevice([new(0, unit), new(1, _lun1)]);
        var manager = new TaskManager(withSource);
        var a = new FakeTaskSet(NexusA, withSource);
        var b = new FakeTaskSet(NexusB, withSource);
        manager.AddNexus(a);
        manager.AddNexus(b);
        a.Add(1, unit);
        a.Add(2, _lun1);
        b.Add(1, unit);

        unit.RaiseAbort([NexusA], NexusB);

        Assert.Equal([2ul], a.Remaining);
        Assert.Equal([1ul], b.Remaining);
    }

    private sealed class FakeTaskSet(ItNexus nexus, ScsiTargetDevice device) : INexusTaskSet
    {
        private readonly List<(ulong Tag, ILogicalUnit Unit)> _tasks = new();

        public ItNexus Nexus { get; } = nexus;

        public ScsiTargetDevice Device { get; } = device;

        public List<ulong> Remaining => _tasks.ConvertAll(t => t.Tag);

        public void Add(ulong tag, ILogicalUnit unit) => _tasks.Add((tag, unit));

        public int AbortTasks(ILogicalUnit? unit, ulong? tag, List<Task>? stopped)
        {
            int count = _tasks.RemoveAll(t => (unit is null || ReferenceEquals(t.Unit, unit)) && (tag is null || t.Tag == tag));
            for (int i = 0; i < count; i++)
            {
                stopped?.Add(Task.CompletedTask);
            }
            return count;
        }
    }

    private class RecordingUnit : ILogicalUnit
    {
        public List<(LogicalUnitEvent, ItNexus?)> Events { get; } = new();

        public ValueTask ExecuteAsync(ScsiTask task, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public void OnEvent(LogicalUnitEvent evt, ItNexus? origin) => Events.Add((evt, origin));

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class AbortingUnit : RecordingUnit, ITaskAbortSource
    {
        public event EventHandler<TasksAbortRequestedEventArgs>? TasksAbortRequested;

        public void RaiseAbort(IReadOnlyList<ItNexus> nexuses, ItNexus origin) => TasksAbortRequested?.Invoke(this, new TasksAbortRequestedEventArgs(nexuses, origin));
    }
}
