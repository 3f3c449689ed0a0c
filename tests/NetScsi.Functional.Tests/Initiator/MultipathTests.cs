using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Initiator.Multipath;
using NetScsi.Scsi.Alua;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;

namespace NetScsi.Functional.Tests.Initiator;

/// <summary>
/// <see cref="MultipathSession"/> over two NetScsi targets (two gateways: target port groups 1 and 2, each naming the
/// other) serving one memory LUN, as two RBD gateways serve one image.
/// </summary>
public sealed class MultipathTests
{
    private const int BlockSize = 512;

    private sealed class Gateways : IAsyncDisposable
    {
        public readonly MemoryBlockDevice Device = new(8L << 20, BlockSize);
        public readonly TargetPortGroupRegistry One = Registry(1);
        public readonly TargetPortGroupRegistry Two = Registry(2);
        public InitiatorTarget First = null!;
        public InitiatorTarget Second = null!;
        private bool _firstStopped;

        private static TargetPortGroupRegistry Registry(ushort local) =>
            new(AluaTransitions.Implicit, [(1, [1], local == 1, AsymmetricAccessState.ActiveOptimized), (2, [2], local == 2, AsymmetricAccessState.Standby)]);

        public static async Task<Gateways> StartAsync()
        {
            var g = new Gateways();
            g.First = await InitiatorTarget.StartAsync((o, t) => Serve(o, t, 1, g.Device, g.One));
            g.Second = await InitiatorTarget.StartAsync((o, t) => Serve(o, t, 2, g.Device, g.Two));
            return g;
        }

        private static void Serve(NetScsi.Iscsi.Configuration.IscsiTargetOptions options, NetScsi.Iscsi.Configuration.TargetDefinition target, ushort tpg, IBlockDevice device, TargetPortGroupRegistry registry)
        {
            options.TargetPortalGroupTag = tpg;
            target.Luns.Clear();
            target.Luns.Add(new NetScsi.Iscsi.Configuration.LunMapping(0, new BlockLogicalUnit(device, new LogicalUnitOptions { Alua = registry })));
        }

        /// <summary>Moves the lock, as RbdAluaLockFollower does: <paramref name="owner"/> active/optimized on both, the other standby.</summary>
        public void Owner(ushort owner)
        {
            foreach (var r in new[] { One, Two })
            {
                r.SetState(owner, AsymmetricAccessState.ActiveOptimized);
                r.SetState(owner == 1 ? (ushort)2 : (ushort)1, AsymmetricAccessState.Standby);
            }
        }

        public Task<MultipathSession> ConnectAsync(MultipathOptions? options = null) =>
            MultipathSession.ConnectAsync([First.Options(), Second.Options()], 0, options ?? Fast(), new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);

        public async Task StopFirstAsync()
        {
            _firstStopped = true;
            await First.DisposeAsync();
        }

        public async ValueTask DisposeAsync()
        {
            if (!_firstStopped)
            {
                await First.DisposeAsync();
            }

            await Second.DisposeAsync();
        }
    }

    private static MultipathOptions Fast() => new()
    {
        PathFailTimeout = TimeSpan.FromMilliseconds(500),
        StateRefreshInterval = TimeSpan.FromSeconds(1),
        FastRefreshInterval = TimeSpan.FromMilliseconds(50),
        ReconnectInterval = TimeSpan.FromMilliseconds(200),
        NoPathTimeout = TimeSpan.FromSeconds(15),
    };

    private static byte[] Pattern(int blocks, int seed)
    {
        byte[] data = new byte[blocks * BlockSize];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static async Task<byte[]> ReadDeviceAsync(IBlockDevice device, long lba, int blocks)
    {
        byte[] data = new byte[blocks * BlockSize];
        await device.ReadAsync(lba, data);
        return data;
    }

    [Fact]
    public async Task UsesTheActiveOptimizedPath_AndReportsEachPathsGroupAndState()
    {
        await using var g = await Gateways.StartAsync();
        await using var session = await g.ConnectAsync();

        var paths = session.Paths;
        Assert.Equal([(true, (ushort?)1, (AsymmetricAccessState?)AsymmetricAccessState.ActiveOptimized, true), (true, 2, AsymmetricAccessState.Standby, false)],
            paths.Select(p => (p.Up, p.Group, p.State, p.InUse)).ToArray());
        byte[] data = Pattern(8, 1);
        await session.WriteAsync(0, 100, data);
        Assert.Equal(data, await ReadDeviceAsync(g.Device, 100, 8));
    }

    [Fact]
    public async Task AStateChange_MovesCommandsToTheNewOwner_TheRefusedOneIsSentAgain()
    {
        await using var g = await Gateways.StartAsync();
        await using var session = await g.ConnectAsync(Fast() is var o ? new MultipathOptions { StateRefreshInterval = TimeSpan.FromMinutes(5), FastRefreshInterval = o.FastRefreshInterval, PathFailTimeout = o.PathFailTimeout } : null);
        var failovers = new List<MultipathFailover>();
        session.FailedOver += f => { lock (failovers) { failovers.Add(f); } };
        await session.WriteAsync(0, 0, Pattern(1, 0));

        g.Owner(2);  // no periodic refresh soon: only the refusal (04/0Bh) or the unit attention (2Ah/06h) can tell
        byte[] data = Pattern(16, 2);
        await session.WriteAsync(0, 200, data);

        Assert.Equal(data, await ReadDeviceAsync(g.Device, 200, 16));
        Assert.True(session.Paths[1].InUse);
        Assert.Equal(AsymmetricAccessState.Standby, session.Paths[0].State);
        Assert.Single(failovers);
        Assert.Equal((g.First.Mover.Portal.ToString(), g.Second.Mover.Portal.ToString()), (failovers[0].From, failovers[0].To));
    }

    [Fact]
    public async Task TheActivePathDies_UnderAVerifiedWorkload_EveryWriteLandsOnce_OnTheOtherPath()
    {
        await using var g = await Gateways.StartAsync();
        await using var session = await g.ConnectAsync();
        var failovers = new List<MultipathFailover>();
        session.FailedOver += f => { lock (failovers) { failovers.Add(f); } };
        byte[] data = Pattern(2048, 3);  // 1 MiB in 16 KiB writes, 4 at a time
        const int chunk = 32;
        int next = 0;
        async Task WorkerAsync()
        {
            while (true)
            {
                int i = Interlocked.Increment(ref next) - 1;
                if (i * chunk >= 2048)
                {
                    return;
                }

                if (i == 20)
                {
                    // The gateway dies, then its peer takes the lock (the standby's follower broke it).
                    await g.StopFirstAsync();
                    g.Two.SetState(2, AsymmetricAccessState.ActiveOptimized);
                    g.Two.SetState(1, AsymmetricAccessState.Standby);
                }

                await session.WriteAsync(0, (ulong)(1000 + (i * chunk)), data.AsMemory(i * chunk * BlockSize, chunk * BlockSize));
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(WorkerAsync)));

        Assert.Equal(data, await ReadDeviceAsync(g.Device, 1000, 2048));
        byte[] back = new byte[data.Length];
        await session.ReadAsync(0, 1000, 2048, back);
        Assert.Equal(data, back);
        Assert.Equal([false, true], session.Paths.Select(p => p.Up).ToArray());
        Assert.True(session.Paths[1].InUse);
        Assert.Single(failovers);
    }

    [Fact]
    public async Task NoUsablePath_CommandsWait_ThenGoWhenOneBecomesActive_OrFailAfterTheNoPathTimeout()
    {
        await using var g = await Gateways.StartAsync();
        var options = Fast();
        options.NoPathTimeout = TimeSpan.FromSeconds(1);
        await using var session = await g.ConnectAsync(options);
        foreach (var r in new[] { g.One, g.Two })
        {
            r.SetState(1, AsymmetricAccessState.Standby);
        }

        await Assert.ThrowsAsync<IscsiConnectionException>(async () => await session.WriteAsync(0, 0, Pattern(1, 4)));

        byte[] data = Pattern(4, 5);
        Task write = session.WriteAsync(0, 300, data).AsTask();
        await Task.Delay(300);
        Assert.False(write.IsCompleted);
        g.Owner(2);
        await write.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(data, await ReadDeviceAsync(g.Device, 300, 4));
    }
}
