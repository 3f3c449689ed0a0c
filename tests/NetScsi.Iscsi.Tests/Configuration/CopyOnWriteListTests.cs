using NetScsi.Iscsi.Configuration;

namespace NetScsi.Iscsi.Tests.Configuration;

public sealed class CopyOnWriteListTests
{
    [Fact]
    public void Enumeration_SeesTheVersionItStartedWith_WhileTheListChanges()
    {
        var list = new CopyOnWriteList<int> { 1, 2, 3 };
        var seen = new List<int>();

        foreach (int item in list)
        {
            seen.Add(item);
            list.Add(item * 10);
            list.Remove(3);
        }

        Assert.Equal([1, 2, 3], seen);
        Assert.Equal([1, 2, 10, 20, 30], list);
    }

    [Fact]
    public void Snapshot_NeverChanges_AndReplaceAllSwapsTheWholeContent()
    {
        var list = new CopyOnWriteList<string> { "a", "b" };
        var before = list.Snapshot;

        list.ReplaceAll(["x"]);

        Assert.Equal(["a", "b"], before);
        Assert.Equal(["x"], list.Snapshot);
        Assert.Single(list);
    }

    [Fact]
    public async Task ConcurrentWriters_LoseNoChange()
    {
        var list = new CopyOnWriteList<int>();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (int i = 0; i < 500; i++)
            {
                list.Add((w * 1000) + i);
            }
        })));

        Assert.Equal(2000, list.Count);
        Assert.Equal(2000, list.Distinct().Count());
    }
}
