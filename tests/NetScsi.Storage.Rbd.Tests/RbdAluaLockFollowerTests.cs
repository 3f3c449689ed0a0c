#if !NO_CEPH
using System.Diagnostics.Metrics;
using NetScsi.Scsi.Alua;

namespace NetScsi.Storage.Rbd.Tests;

/// <summary>Two gateways' worth of opens of one image, each with a lock follower driving its own registry.</summary>
[Collection(CephCollection.Name)]
public sealed class RbdAluaLockFollowerTests(CephCluster cluster)
{
    private static TargetPortGroupRegistry Registry(ushort local, ushort peer) =>
        new(AluaTransitions.Implicit, [(local, [local], true, AsymmetricAccessState.Standby), (peer, [peer], false, AsymmetricAccessState.Standby)]);

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task FirstFollower_TakesTheLock_IsActiveOptimized_TheOtherStandby_ThenTakesOverWhenTheOwnerCloses()
    {
        RbdImageOptions options = cluster.Image($"alua-{Guid.NewGuid():N}");
        RbdBlockDevice.CreateImage(options, 4 << 20);
        RbdBlockDevice first = RbdBlockDevice.Open(options);
        await using RbdBlockDevice second = RbdBlockDevice.Open(options);
        TargetPortGroupRegistry one = Registry(1, 2), two = Registry(2, 1);
        var changes = 0;
        two.StateChanged += (_, e) => Interlocked.Increment(ref changes);
        RbdAluaLockFollower firstFollower = new(first, one, 1, AsymmetricAccessState.Standby, [(2, AsymmetricAccessState.Standby)], TimeSpan.FromMilliseconds(100));
        await using RbdAluaLockFollower secondFollower = new(second, two, 2, AsymmetricAccessState.Standby, [(1, AsymmetricAccessState.Standby)], TimeSpan.FromMilliseconds(100));

        Assert.True(first.IsExclusiveLockOwner());
        Assert.False(second.IsExclusiveLockOwner());
        Assert.Equal((AsymmetricAccessState.ActiveOptimized, AsymmetricAccessState.Standby), (one.Find(1)!.State, one.Find(2)!.State));
        Assert.Equal((AsymmetricAccessState.Standby, AsymmetricAccessState.ActiveOptimized), (two.Find(2)!.State, two.Find(1)!.State));
        // The owner keeps the lock: a write through the other open fails instead of moving it.
        await Assert.ThrowsAnyAsync<IOException>(async () => await second.WriteAsync(0, new byte[512], forceUnitAccess: false));
        Assert.True(first.IsExclusiveLockOwner());
        int before = Volatile.Read(ref changes);

        // Closing releases the lock at once: the other takes it within a poll or two.
        await firstFollower.DisposeAsync();
        await first.DisposeAsync();
        await WaitForAsync(() => two.Find(2)!.State == AsymmetricAccessState.ActiveOptimized, TimeSpan.FromSeconds(10));

        Assert.True(second.IsExclusiveLockOwner());
        Assert.Equal(AsymmetricAccessState.Standby, two.Find(1)!.State);
        Assert.True(Volatile.Read(ref changes) > before);
        Assert.Equal(1, secondFollower.Handovers);
        await second.WriteAsync(0, new byte[512], forceUnitAccess: false);
    }

    /// <summary>What an exporter collecting <see cref="RbdMeter"/> sees for one target: "instrument lun" → value.</summary>
    private static Dictionary<string, long> Collect(string target)
    {
        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RbdMeter.Name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? t = null, lun = null, image = null;
            foreach (var tag in tags)
            {
                switch (tag.Key)
                {
                    case "target": t = (string?)tag.Value; break;
                    case "lun": lun = (string?)tag.Value; break;
                    case "image": image = (string?)tag.Value; break;
                }
            }
            if (t == target)
            {
                Assert.StartsWith("rbd/alua-metrics-", image);
                seen[$"{instrument.Name} {lun}"] = value;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return seen;
    }

    [Fact]
    public async Task Metrics_ReportEachFollowersHandoversAndOwnership_AndForgetAClosedOne()
    {
        RbdImageOptions options = cluster.Image($"alua-metrics-{Guid.NewGuid():N}");
        RbdBlockDevice.CreateImage(options, 4 << 20);
        RbdBlockDevice first = RbdBlockDevice.Open(options);
        await using RbdBlockDevice second = RbdBlockDevice.Open(options);
        string target = $"iqn.2026-12.test:{Guid.NewGuid():N}";
        RbdAluaLockFollower firstFollower = new(first, Registry(1, 2), 1, AsymmetricAccessState.Standby, [(2, AsymmetricAccessState.Standby)],
            TimeSpan.FromMilliseconds(100), target, lun: 1);
        await using RbdAluaLockFollower secondFollower = new(second, Registry(2, 1), 2, AsymmetricAccessState.Standby, [(1, AsymmetricAccessState.Standby)],
            TimeSpan.FromMilliseconds(100), target, lun: 2);

        var seen = Collect(target);
        Assert.Equal(1, seen["lock_handovers 1"]);
        Assert.Equal(1, seen["lock_owner 1"]);
        Assert.Equal(0, seen["lock_handovers 2"]);
        Assert.Equal(0, seen["lock_owner 2"]);

        await firstFollower.DisposeAsync();
        await first.DisposeAsync();
        await WaitForAsync(() => secondFollower.IsOwner, TimeSpan.FromSeconds(10));

        seen = Collect(target);
        Assert.False(seen.ContainsKey("lock_owner 1"));
        Assert.Equal(1, seen["lock_handovers 2"]);
        Assert.Equal(1, seen["lock_owner 2"]);
    }

    [Fact]
    public async Task NonOwnerState_ActiveOptimized_IsRefused()
    {
        RbdImageOptions options = cluster.Image($"alua-bad-{Guid.NewGuid():N}");
        RbdBlockDevice.CreateImage(options, 4 << 20);
        await using RbdBlockDevice device = RbdBlockDevice.Open(options);

        Assert.Throws<ArgumentException>(() => new RbdAluaLockFollower(device, Registry(1, 2), 1, AsymmetricAccessState.ActiveOptimized, []));
    }
}
#endif
