using Microsoft.Extensions.Time.Testing;
using NetScsi.Scsi.Storage;

namespace NetScsi.Scsi.Tests.Storage;

/// <summary>With no delay set, the wrapper must keep every promise of the device it wraps.</summary>
public sealed class DelayBlockDeviceTests : BlockDeviceContractTests
{
    protected override ValueTask<IBlockDevice> CreateDeviceAsync(long sizeBytes, int blockSize, bool readOnly = false) =>
        ValueTask.FromResult<IBlockDevice>(new DelayBlockDevice(new MemoryBlockDevice(sizeBytes, blockSize, readOnly)));

    [Fact]
    public async Task Read_CompletesOnlyAfterReadDelay()
    {
        var clock = new FakeTimeProvider();
        await using var device = new DelayBlockDevice(new MemoryBlockDevice(Mib), readDelay: TimeSpan.FromMilliseconds(10), timeProvider: clock);

        Task read = device.ReadAsync(0, new byte[512]).AsTask();
        clock.Advance(TimeSpan.FromMilliseconds(9));
        Assert.False(read.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));

        await read.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task WriteDelay_ChangedAtRuntime_AppliesToNextWrite()
    {
        var clock = new FakeTimeProvider();
        await using var device = new DelayBlockDevice(new MemoryBlockDevice(Mib), timeProvider: clock);
        Assert.True(device.WriteAsync(0, new byte[512], forceUnitAccess: false).IsCompleted);

        device.WriteDelay = TimeSpan.FromSeconds(1);
        Task write = device.WriteAsync(0, new byte[512], forceUnitAccess: false).AsTask();

        Assert.False(write.IsCompleted);
        Assert.True(device.ReadAsync(0, new byte[512]).IsCompleted); // reads are not slowed by WriteDelay
        clock.Advance(TimeSpan.FromSeconds(1));
        await write.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task DelayedRead_Cancelled_ThrowsOperationCanceled()
    {
        var clock = new FakeTimeProvider();
        await using var device = new DelayBlockDevice(new MemoryBlockDevice(Mib), readDelay: TimeSpan.FromHours(1), timeProvider: clock);
        using var cancellation = new CancellationTokenSource();

        Task read = device.ReadAsync(0, new byte[512], cancellation.Token).AsTask();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void NegativeDelay_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new DelayBlockDevice(new MemoryBlockDevice(Mib), readDelay: TimeSpan.FromTicks(-1)));
}
