using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using NetScsi.Transport.Aoe.Client;
using NetScsi.Transport.Ethernet;

namespace NetScsi.Transport.Aoe.Tests.Client;

/// <summary>
/// Cancelling an I/O whose frames are on the wire: the client abandons them at once instead of retransmitting until
/// its timeout, frees their tags, and goes on serving the next I/O.
/// </summary>
public sealed class AoeCancellationTests
{
    private const ushort Shelf = 4;
    private const byte SlotNumber = 1;

    private static readonly AoeClientOptions s_options = new()
    {
        Timeout = TimeSpan.FromSeconds(30),
        InitialRetransmitTimeout = TimeSpan.FromMilliseconds(20),
        MinimumRetransmitTimeout = TimeSpan.FromMilliseconds(5),
    };

    private static async Task<(SimulatedSegment Segment, AoeTarget Target, MemoryBlockDevice Medium)> StartAsync()
    {
        var segment = new SimulatedSegment(9000, seed: 11);
        var medium = new MemoryBlockDevice(4L << 20, 512);
        var target = await AoeTarget.StartAsync(segment.CreatePort("target"), Shelf,
            [new AoeSlotDefinition(SlotNumber, new BlockLogicalUnit(medium, new LogicalUnitOptions()))], new AoeTargetOptions());
        return (segment, target, medium);
    }

    [Fact]
    public async Task ACancelledRead_WhoseFramesGetNoAnswer_EndsAtOnce_FreesItsTags_AndTheNextReadWorks()
    {
        var (segment, target, _) = await StartAsync();
        await using var _ = target;
        await using var device = await AoeDevice.OpenAsync(segment.CreatePort("client"), Shelf, SlotNumber, s_options, CancellationToken.None);

        segment.DropRate = 1.0; // the target hears nothing from here on
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var started = System.Diagnostics.Stopwatch.StartNew();
        var read = device.ReadAsync(0, new byte[256 * 1024], cancel.Token).AsTask();
        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(cancel.Token, error.CancellationToken);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"cancelled after {started.Elapsed}, not within the 30 s timeout");
        Assert.True(device.Retransmissions > 0, "the frames were on the wire and being retransmitted when the read was cancelled");
        Assert.Equal(0, device.FramesInFlight);

        segment.DropRate = 0;
        byte[] back = new byte[64 * 1024];
        await device.ReadAsync(0, back).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task QueuedIos_BehindOneThatCannotGoOut_EndWhenCancelled_AndThoseNotCancelledStillComplete()
    {
        var (segment, target, medium) = await StartAsync();
        await using var _ = target;
        await using var device = await AoeDevice.OpenAsync(segment.CreatePort("client"), Shelf, SlotNumber, s_options, CancellationToken.None);

        segment.DropRate = 1.0;
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();
        // Larger than the window: the first write cannot be fully sent, so the others wait in the queue behind it.
        byte[] large = new byte[2 << 20];
        var stuck = device.WriteAsync(0, large, first.Token).AsTask();
        var queued = device.ReadAsync(8, new byte[4096], second.Token).AsTask();
        byte[] data = new byte[4096];
        new Random(5).NextBytes(data);
        var kept = device.WriteAsync(64, data).AsTask();
        await Task.Delay(100);

        second.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(stuck.IsCompleted);
        first.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stuck.WaitAsync(TimeSpan.FromSeconds(5)));

        segment.DropRate = 0;
        await kept.WaitAsync(TimeSpan.FromSeconds(20));
        byte[] stored = new byte[4096];
        await medium.ReadAsync(64, stored);
        Assert.Equal(data, stored);
    }
}
