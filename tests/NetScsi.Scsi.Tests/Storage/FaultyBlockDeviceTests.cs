using NetScsi.Scsi.Storage;

namespace NetScsi.Scsi.Tests.Storage;

/// <summary>With no fault set, the wrapper must keep every promise of the device it wraps.</summary>
public sealed class FaultyBlockDeviceTests : BlockDeviceContractTests
{
    protected override ValueTask<IBlockDevice> CreateDeviceAsync(long sizeBytes, int blockSize, bool readOnly = false) =>
        ValueTask.FromResult<IBlockDevice>(new FaultyBlockDevice(new MemoryBlockDevice(sizeBytes, blockSize, readOnly)));

    [Fact]
    public async Task Read_TouchingFailedRange_ThrowsIOExceptionNamingFirstBadLba()
    {
        await using var device = new FaultyBlockDevice(new MemoryBlockDevice(Mib));
        device.FailReads(10, 5);

        var error = await Assert.ThrowsAsync<IOException>(async () => await device.ReadAsync(8, new byte[4 * 512]));

        Assert.Contains("LBA 10", error.Message);
    }

    [Fact]
    public async Task Read_OutsideFailedRange_Succeeds()
    {
        await using var device = new FaultyBlockDevice(new MemoryBlockDevice(Mib));
        device.FailReads(10, 5);

        await device.ReadAsync(0, new byte[10 * 512]);
        await device.ReadAsync(15, new byte[512]);
    }

    [Fact]
    public async Task FailWrites_FailsWritesAndUnmapsButNotReads()
    {
        await using var device = new FaultyBlockDevice(new MemoryBlockDevice(Mib));
        device.FailWrites(100);

        await Assert.ThrowsAsync<IOException>(async () => await device.WriteAsync(100, new byte[512], forceUnitAccess: false));
        await Assert.ThrowsAsync<IOException>(async () => await device.UnmapAsync(96, 8));
        await device.ReadAsync(100, new byte[512]);
    }

    [Fact]
    public async Task ClearFaults_RestoresIo()
    {
        await using var device = new FaultyBlockDevice(new MemoryBlockDevice(Mib));
        device.FailReads(0);
        device.FailWrites(0);
        device.FailFlushes = true;

        device.ClearFaults();

        await device.WriteAsync(0, new byte[512], forceUnitAccess: false);
        await device.ReadAsync(0, new byte[512]);
        await device.FlushAsync();
    }

    [Fact]
    public async Task FailFlushes_FailsFlush()
    {
        await using var device = new FaultyBlockDevice(new MemoryBlockDevice(Mib)) { FailFlushes = true };

        await Assert.ThrowsAsync<IOException>(async () => await device.FlushAsync());
    }

    [Fact]
    public async Task FaultOutsideDevice_Throws()
    {
        await using var device = new FaultyBlockDevice(new MemoryBlockDevice(Mib));

        Assert.Throws<ArgumentOutOfRangeException>(() => device.FailReads(device.BlockCount));
        Assert.Throws<ArgumentOutOfRangeException>(() => device.FailWrites(0, 0));
    }
}
