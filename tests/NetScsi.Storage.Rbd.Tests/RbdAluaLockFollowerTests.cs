#if !NO_CEPH
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
