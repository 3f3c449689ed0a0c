using NetScsi.Scsi.Storage;

namespace NetScsi.Scsi.Tests.Storage;

/// <summary>
/// The behaviour every <see cref="IBlockDevice"/> promises the logical unit. Each implementation runs
/// the whole class through a subclass that supplies the factory.
/// </summary>
/// <remarks>
/// Unmap and allocation-status tests work on 1 MiB-aligned extents: that is the memory device's chunk and
/// a multiple of any filesystem block, so every backend can deallocate them exactly.
/// </remarks>
public abstract class BlockDeviceContractTests
{
    protected const int Mib = 1 << 20;
    protected const long DeviceSize = 8 * Mib;

    /// <summary>Creates a fresh, never-written device. Read-only devices read as zeros throughout.</summary>
    protected abstract ValueTask<IBlockDevice> CreateDeviceAsync(long sizeBytes, int blockSize, bool readOnly = false);

    [Theory]
    [InlineData(512)]
    [InlineData(4096)]
    public async Task Geometry_MatchesRequest(int blockSize)
    {
        await using IBlockDevice device = await CreateDeviceAsync(DeviceSize, blockSize);

        Assert.Equal(blockSize, device.BlockSize);
        Assert.Equal(DeviceSize / blockSize, device.BlockCount);
        Assert.False(device.IsReadOnly);
        Assert.True(device.UnmappedReadsZero);
        Assert.False(string.IsNullOrWhiteSpace(device.Identity));
    }

    [Theory]
    [InlineData(512)]
    [InlineData(4096)]
    public async Task WriteThenRead_ReturnsSameBytes(int blockSize)
    {
        await using IBlockDevice device = await CreateDeviceAsync(DeviceSize, blockSize);
        byte[] data = Pattern(3 * blockSize, seed: 1);

        await device.WriteAsync(5, data, forceUnitAccess: false);

        Assert.Equal(data, await ReadAsync(device, 5, 3));
    }

    [Fact]
    public async Task WriteAcrossMibBoundary_ReadsBack()
    {
        await using IBlockDevice device = await CreateDeviceAsync(DeviceSize, 512);
        byte[] data = Pattern(8 * 512, seed: 2);
        long lba = Mib / 512 - 4;

        await device.WriteAsync(lba, data, forceUnitAccess: false);

        Assert.Equal(data, await ReadAsync(device, lba, 8));
    }

    [Fact]
    public async Task ForceUnitAccessWrite_ThenRead_ReturnsSameBytes()
    {
        await using IBlockDevice device = await CreateDeviceAsync(DeviceSize, 512);
        byte[] data = Pattern(4 * 512, seed: 3);

        await device.WriteAsync(100, data, forceUnitAccess: true);

        Assert.Equal(data, await ReadAsync(device, 100, 4));
    }

    [Fact]
    public async Task LastBlock_WriteThenRead_ReturnsSameBytes()
    {
        await using IBlockDevice device = await CreateDeviceAsync(DeviceSize, 4096);
        byte[] data = Pattern(4096, seed: 4);

        await device.WriteAsync(device.BlockCount - 1, data, forceUnitAccess: false);

        Assert.Equal(data, await ReadAsync(device, device.BlockCount - 1, 1));
    }

    [Fact]
    public async Task UnwrittenBlocks_ReadAsZero()
    {
        await using IBlockDevice device = await CreateDeviceAsync(DeviceSize, 512);
        byte[] buffer = new byte[64 * 512];
        buffer.AsSpan().Fill(0xA5);

        await device.ReadAsync(1000, buffer);

        Assert.True(buffer.AsSpan().IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public async Task Unmap_ThenRead_ReturnsZeros()
    {
        await using IBlockDevice device = await CreateDeviceAsync(DeviceSize, 512);
        long lba = Mib / 512;
        long count = 2 * Mib / 512;
        await device.WriteAsync(lba, Pattern(2 * Mib, seed: 5), forceUnitAccess: false);

        await device.UnmapAsync(lba, count);

        byte[] read = await ReadAsync(device, lba, (int)count);
        Assert.True(read.AsSpan().IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public async Task Unmap_PartOfWrittenRange_ZeroesOnlyThoseBlocks()
    {
        await using IBlockDevice device = await CreateDeviceAsync(DeviceSize, 512);
        byte[] data = Pattern(16 * 512, seed: 6);
        await device.WriteAsync(64, data, forceUnitAccess: false);

        await device.UnmapAsync(68, 4);

        byte[] expected = (byte[])data.Clone();
        expected.AsSpan(4 * 512, 4 * 512).Clear();
        Assert.Equal(expected, await ReadAsync(device, 64, 16));
    }

    [Fact]
    public async Task NewDevice_AllocationStatus_ReportsWholeDeviceDeallocated()
    {
        await using IBlockDevice device = await CreateDeviceAsync(DeviceSize, 512);

        AllocationExtent extent = await device.GetAllocationStatusAsync(0);

        Assert.Equal(new AllocationExtent(0, device.BlockCount, Mapped: false), extent);
    }

    [Theory]
    [InlineData(512)]
    [InlineData(4096)]
    public async Task Write_ThenAllocationStatus_ReportsMapped(int blockSize)
    {
        await using IBlockDevice device = await CreateDeviceAsync(DeviceSize, blockSize);
        long lba = Mib / blockSize;
        await device.WriteAsync(lba, Pattern(blockSize, seed: 7), forceUnitAccess: false);

        AllocationExtent written = await device.GetAllocationStatusAsync(lba);
        AllocationExtent before = await device.GetAllocationStatusAsync(0);

        Assert.True(written.Mapped);
        Assert.Equal(lba, written.Lba);
        Assert.InRange(written.BlockCount, 1, device.BlockCount - lba);
        Assert.Equal(new AllocationExtent(0, lba, Mapped: false), before);
    }

    [Theory]
    [InlineData(512)]
    [InlineData(4096)]
    public async Task Unmap_ThenAllocationStatus_ReportsDeallocated(int blockSize)
    {
        await using IBlockDevice device = await CreateDeviceAsync(DeviceSize, blockSize);
        long mibBlocks = Mib / blockSize;
        await device.WriteAsync(mibBlocks, Pattern(3 * Mib, seed: 8), forceUnitAccess: false);

        await device.UnmapAsync(2 * mibBlocks, mibBlocks);

        Assert.Equal(new AllocationExtent(2 * mibBlocks, mibBlocks, Mapped: false), await device.GetAllocationStatusAsync(2 * mibBlocks));
        Assert.True((await device.GetAllocationStatusAsync(mibBlocks)).Mapped);
        Assert.True((await device.GetAllocationStatusAsync(3 * mibBlocks)).Mapped);
    }

    [Fact]
    public async Task AllocationStatus_ExtentsTileTheDevice()
    {
        await using IBlockDevice device = await CreateDeviceAsync(DeviceSize, 512);
        await device.WriteAsync(0, Pattern(512, seed: 9), forceUnitAccess: false);
        await device.WriteAsync(3 * Mib / 512 + 7, Pattern(512, seed: 10), forceUnitAccess: false);
        await device.WriteAsync(device.BlockCount - 1, Pattern(512, seed: 11), forceUnitAccess: false);

        long lba = 0;
        var extents = new List<AllocationExtent>();
        while (lba < device.BlockCount)
        {
            AllocationExtent extent = await device.GetAllocationStatusAsync(lba);
            Assert.Equal(lba, extent.Lba);
            Assert.InRange(extent.BlockCount, 1, device.BlockCount - lba);
            extents.Add(extent);
            lba += extent.BlockCount;
        }

        Assert.Equal(device.BlockCount, lba);
        Assert.True(extents[0].Mapped);
        Assert.True(extents[^1].Mapped);
        Assert.Contains(extents, e => !e.Mapped);
    }

    [Fact]
    public async Task ManyConcurrentWrites_AllLand()
    {
        const int writes = 256;
        const int blocksPerWrite = 8;
        await using IBlockDevice device = await CreateDeviceAsync(DeviceSize, 512);
        // Spread the writes so that neighbours share chunks and filesystem blocks, and some straddle both.
        long stride = device.BlockCount / writes;

        await Task.WhenAll(Enumerable.Range(0, writes).Select(i => Task.Run(async () =>
            await device.WriteAsync(i * stride + i % 5, Pattern(blocksPerWrite * 512, seed: 1000 + i), forceUnitAccess: i % 16 == 0))));

        for (int i = 0; i < writes; i++)
        {
            Assert.Equal(Pattern(blocksPerWrite * 512, seed: 1000 + i), await ReadAsync(device, i * stride + i % 5, blocksPerWrite));
        }
    }

    [Fact]
    public async Task ManyConcurrentReads_SeeTheData()
    {
        await using IBlockDevice device = await CreateDeviceAsync(DeviceSize, 4096);
        byte[] data = Pattern(64 * 4096, seed: 12);
        await device.WriteAsync(0, data, forceUnitAccess: false);

        byte[][] results = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(() => ReadAsync(device, i, 1))));

        for (int i = 0; i < 64; i++)
        {
            Assert.Equal(data.AsSpan(i * 4096, 4096).ToArray(), results[i]);
        }
    }

    [Fact]
    public async Task ReadOnlyDevice_RejectsWrites()
    {
        await using IBlockDevice device = await CreateDeviceAsync(DeviceSize, 512, readOnly: true);

        Assert.True(device.IsReadOnly);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await device.WriteAsync(0, new byte[512], forceUnitAccess: false));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await device.UnmapAsync(0, 1));
        Assert.True((await ReadAsync(device, 0, 1)).AsSpan().IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public async Task Transfer_BeyondLastBlock_Throws()
    {
        await using IBlockDevice device = await CreateDeviceAsync(DeviceSize, 512);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await device.ReadAsync(device.BlockCount - 1, new byte[1024]));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await device.WriteAsync(device.BlockCount, new byte[512], false));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await device.ReadAsync(-1, new byte[512]));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await device.UnmapAsync(1, device.BlockCount));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await device.GetAllocationStatusAsync(device.BlockCount));
    }

    [Fact]
    public async Task Transfer_NotWholeBlocks_Throws()
    {
        await using IBlockDevice device = await CreateDeviceAsync(DeviceSize, 4096);

        await Assert.ThrowsAsync<ArgumentException>(async () => await device.ReadAsync(0, new byte[512]));
        await Assert.ThrowsAsync<ArgumentException>(async () => await device.WriteAsync(0, new byte[4097], false));
    }

    [Fact]
    public async Task Flush_AfterWrites_Succeeds()
    {
        await using IBlockDevice device = await CreateDeviceAsync(DeviceSize, 512);
        await device.WriteAsync(0, Pattern(512, seed: 13), forceUnitAccess: false);

        await device.FlushAsync();

        Assert.Equal(Pattern(512, seed: 13), await ReadAsync(device, 0, 1));
    }

    [Fact]
    public async Task DisposedDevice_RejectsIo()
    {
        IBlockDevice device = await CreateDeviceAsync(DeviceSize, 512);
        await device.DisposeAsync();
        await device.DisposeAsync(); // idempotent

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await device.ReadAsync(0, new byte[512]));
    }

    protected static async Task<byte[]> ReadAsync(IBlockDevice device, long lba, int blocks)
    {
        byte[] buffer = new byte[blocks * device.BlockSize];
        buffer.AsSpan().Fill(0xEE); // so a read that forgets to fill the buffer cannot pass as zeros
        await device.ReadAsync(lba, buffer);
        return buffer;
    }

    /// <summary>Deterministic, non-zero-heavy bytes: a seed identifies each write.</summary>
    protected static byte[] Pattern(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
