using NetScsi.Scsi.Storage;

namespace NetScsi.Scsi.Tests.Storage;

public sealed class MemoryBlockDeviceTests : BlockDeviceContractTests
{
    protected override ValueTask<IBlockDevice> CreateDeviceAsync(long sizeBytes, int blockSize, bool readOnly = false) =>
        ValueTask.FromResult<IBlockDevice>(new MemoryBlockDevice(sizeBytes, blockSize, readOnly));

    [Fact]
    public async Task Resize_GrowsUpToTheCapacity_KeepsData_AndRefusesBeyondIt()
    {
        await using var device = new MemoryBlockDevice(MemoryBlockDevice.ChunkSize / 2, 512, maxSizeBytes: 3L * MemoryBlockDevice.ChunkSize);
        byte[] data = [.. Enumerable.Repeat((byte)0xA5, 512)];
        await device.WriteAsync(device.BlockCount - 1, data, forceUnitAccess: false);

        await device.ResizeAsync(3L * MemoryBlockDevice.ChunkSize / 512);

        Assert.Equal(3L * MemoryBlockDevice.ChunkSize / 512, device.BlockCount);
        byte[] back = new byte[512];
        await device.ReadAsync((MemoryBlockDevice.ChunkSize / 2 / 512) - 1, back);
        Assert.Equal(data, back);
        await device.WriteAsync(device.BlockCount - 1, data, forceUnitAccess: false);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await device.ResizeAsync(device.MaxBlockCount + 1));
    }

    [Fact]
    public async Task Resize_Shrink_DropsTheTail_SoAGrowReadsZerosThere()
    {
        long blocks = 2L * MemoryBlockDevice.ChunkSize / 512;
        await using var device = new MemoryBlockDevice(2L * MemoryBlockDevice.ChunkSize);
        await device.WriteAsync(0, new byte[2 * MemoryBlockDevice.ChunkSize].Select(_ => (byte)1).ToArray(), forceUnitAccess: false);

        await device.ResizeAsync(blocks / 4);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await device.ReadAsync(blocks / 4, new byte[512]));
        await device.ResizeAsync(blocks);

        byte[] tail = new byte[512];
        await device.ReadAsync(blocks / 4, tail);
        Assert.All(tail, b => Assert.Equal(0, b));
        await device.ReadAsync((blocks / 4) - 1, tail);
        Assert.All(tail, b => Assert.Equal(1, b));
    }

    [Fact]
    public async Task LargeDevice_AllocatesNothingUntilWritten()
    {
        await using var device = new MemoryBlockDevice(1L << 30);
        Assert.Equal(0, device.AllocatedChunkCount);

        await device.WriteAsync(12345, new byte[512], forceUnitAccess: false);

        Assert.Equal(1, device.AllocatedChunkCount);
    }

    [Fact]
    public async Task Reads_DoNotAllocate()
    {
        await using var device = new MemoryBlockDevice(4 * MemoryBlockDevice.ChunkSize);

        await device.ReadAsync(0, new byte[2 * MemoryBlockDevice.ChunkSize]);

        Assert.Equal(0, device.AllocatedChunkCount);
    }

    [Fact]
    public async Task Unmap_WholeChunk_ReleasesMemory_PartialChunkDoesNot()
    {
        await using var device = new MemoryBlockDevice(4 * MemoryBlockDevice.ChunkSize);
        long chunkBlocks = MemoryBlockDevice.ChunkSize / 512;
        await device.WriteAsync(0, new byte[2 * MemoryBlockDevice.ChunkSize], forceUnitAccess: false);

        await device.UnmapAsync(0, chunkBlocks + 1);

        Assert.Equal(1, device.AllocatedChunkCount);
    }

    [Fact]
    public async Task SizeNotWholeChunks_LastBlockReadsBack()
    {
        await using var device = new MemoryBlockDevice(MemoryBlockDevice.ChunkSize + 4096, blockSize: 4096);
        byte[] data = Pattern(4096, seed: 1);

        await device.WriteAsync(device.BlockCount - 1, data, forceUnitAccess: false);

        Assert.Equal(data, await ReadAsync(device, device.BlockCount - 1, 1));
        Assert.Equal(new AllocationExtent(device.BlockCount - 1, 1, Mapped: true), await device.GetAllocationStatusAsync(device.BlockCount - 1));
    }

    [Fact]
    public async Task Identity_DefaultsToUniquePerInstance()
    {
        await using var first = new MemoryBlockDevice(Mib);
        await using var second = new MemoryBlockDevice(Mib);

        Assert.NotEqual(first.Identity, second.Identity);
    }

    [Fact]
    public async Task Identity_UsesGivenName()
    {
        await using var device = new MemoryBlockDevice(Mib, identity: "lun0");

        Assert.Equal("lun0", device.Identity);
    }

    [Theory]
    [InlineData(0, 512)]
    [InlineData(1000, 512)]
    [InlineData(4096, 1000)]
    [InlineData(4096, 256)]
    public void Constructor_BadGeometry_Throws(long sizeBytes, int blockSize) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new MemoryBlockDevice(sizeBytes, blockSize));
}
