using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using NetScsi.Transport.Aoe.Client;
using NetScsi.Transport.Ethernet;

namespace NetScsi.Transport.Aoe.Tests.Client;

/// <summary>NetScsi's AoE client against NetScsi's AoE target on a simulated segment that loses frames.</summary>
public sealed class AoeClientOnALossyLinkTests
{
    [Fact]
    public async Task FramesLost_ShrinkTheWindow_TheDataStillArrivesWhole_AndTheWindowGrowsBackOnceTheLinkIsClean()
    {
        var segment = new SimulatedSegment(9000, seed: 7);
        var device = new MemoryBlockDevice(8L << 20, 512);
        await using AoeTarget target = await AoeTarget.StartAsync(segment.CreatePort("target"), 3,
            [new AoeSlotDefinition(1, new BlockLogicalUnit(device, new LogicalUnitOptions()))], new AoeTargetOptions());
        var options = new AoeClientOptions
        {
            Timeout = TimeSpan.FromSeconds(20),
            InitialRetransmitTimeout = TimeSpan.FromMilliseconds(20),
            MinimumRetransmitTimeout = TimeSpan.FromMilliseconds(5),
        };
        await using AoeDevice client = await AoeDevice.OpenAsync(segment.CreatePort("client"), 3, 1, options, CancellationToken.None);
        Assert.Equal(64, client.MaxOutstanding); // the target's buffer count

        segment.DropRate = 0.05;
        byte[] data = new byte[2 << 20];
        new Random(3).NextBytes(data);
        await client.WriteAsync(100, data).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        byte[] back = new byte[data.Length];
        await client.ReadAsync(100, back).AsTask().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(data, back);
        Assert.True(segment.Dropped > 0);
        Assert.True(client.Retransmissions > 0);
        Assert.True(client.WindowReductions > 0, "a lost frame shrinks the window");
        Assert.True(client.WindowReductions <= client.Retransmissions);

        segment.DropRate = 0;
        for (int round = 0; round < 20 && client.Window < client.MaxOutstanding; round++)
        {
            await client.ReadAsync(0, back).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        }

        Assert.Equal(client.MaxOutstanding, client.Window);
    }
}
