using NetScsi.Scsi.Storage;
using NetScsi.Scsi.Tests.Storage;

namespace NetScsi.Storage.Rbd.Tests;

#if NO_CEPH
public sealed class RbdBlockDeviceTests
{
    [Fact(Skip = "ceph-mon/ceph-osd are not installed (apt-get install -y ceph-mon ceph-osd ceph-common; .ci/run does): the RBD tests need a one-node cluster")]
    public void ContractTests_NeedACephCluster()
    {
    }
}
#else
/// <summary>The block-device contract on RBD images of a one-node cluster: every test gets a fresh image with 1 MiB objects.</summary>
[Collection(CephCollection.Name)]
public sealed class RbdBlockDeviceTests(CephCluster cluster) : BlockDeviceContractTests
{
    protected override ValueTask<IBlockDevice> CreateDeviceAsync(long sizeBytes, int blockSize, bool readOnly = false)
    {
        // 1 MiB objects (order 20): the contract's unmap and allocation tests work on 1 MiB extents, and librbd
        // deallocates (and diff-iterate reports) whole objects.
        RbdImageOptions options = cluster.Image($"contract-{Guid.NewGuid():N}", readOnly, blockSize);
        RbdBlockDevice.CreateImage(options, sizeBytes, order: 20);
        return ValueTask.FromResult<IBlockDevice>(RbdBlockDevice.Open(options));
    }

    [Fact]
    public async Task TwoOpens_OfOneImage_ReportTheSameIdentity()
    {
        RbdImageOptions options = cluster.Image($"identity-{Guid.NewGuid():N}");
        RbdBlockDevice.CreateImage(options, 4 << 20);

        await using RbdBlockDevice first = RbdBlockDevice.Open(options);
        await using RbdBlockDevice second = RbdBlockDevice.Open(cluster.Image(options.Image, readOnly: true));

        Assert.Equal(first.Identity, second.Identity);
        Assert.StartsWith("rbd:", first.Identity, StringComparison.Ordinal);
        Assert.Contains(first.ImageId, first.Identity, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DifferentImages_ReportDifferentIdentities()
    {
        RbdImageOptions a = cluster.Image($"identity-a-{Guid.NewGuid():N}");
        RbdImageOptions b = cluster.Image($"identity-b-{Guid.NewGuid():N}");
        RbdBlockDevice.CreateImage(a, 4 << 20);
        RbdBlockDevice.CreateImage(b, 4 << 20);

        await using RbdBlockDevice first = RbdBlockDevice.Open(a);
        await using RbdBlockDevice second = RbdBlockDevice.Open(b);

        Assert.NotEqual(first.Identity, second.Identity);
    }

    [Fact]
    public void Open_MissingImage_SaysWhichAndHowToCreateIt()
    {
        var error = Assert.Throws<RbdException>(() => RbdBlockDevice.Open(cluster.Image("no-such-image")));

        Assert.Contains("no RBD image 'no-such-image'", error.Message, StringComparison.Ordinal);
        Assert.Contains("rbd create", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_MissingPool_SaysSo()
    {
        RbdImageOptions options = new() { Pool = "no-such-pool", Image = "x", ConfigPath = cluster.ConfigPath };

        var error = Assert.Throws<RbdException>(() => RbdBlockDevice.Open(options));

        Assert.Contains("no pool 'no-such-pool'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_MissingConfigFile_SaysSo()
    {
        RbdImageOptions options = new() { Pool = "rbd", Image = "x", ConfigPath = "/nonexistent/ceph.conf" };

        var error = Assert.Throws<RbdException>(() => RbdBlockDevice.Open(options));

        Assert.Contains("/nonexistent/ceph.conf", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_UnreachableCluster_FailsWithinTheConnectTimeout()
    {
        // A monitor address nothing listens on.
        string conf = Path.Combine(cluster.Directory, "unreachable.conf");
        File.WriteAllText(conf, "[global]\nmon host = 127.0.0.1:1\nauth client required = none\nauth cluster required = none\nauth service required = none\n");
        RbdImageOptions options = new() { Pool = "rbd", Image = "x", ConfigPath = conf, ConnectTimeout = TimeSpan.FromSeconds(2) };
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var error = Assert.Throws<RbdException>(() => RbdBlockDevice.Open(options));

        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(15));
        Assert.Contains("cannot connect to the Ceph cluster", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImageResizedOutside_BlockCountFollows()
    {
        RbdImageOptions options = cluster.Image($"resize-{Guid.NewGuid():N}");
        RbdBlockDevice.CreateImage(options, 4 << 20);
        await using RbdBlockDevice device = RbdBlockDevice.Open(options);
        Assert.Equal((4 << 20) / 512, device.BlockCount);

        cluster.Rbd("resize", "--size", "8M", $"{options.Pool}/{options.Image}");

        // librbd hears of the new header through its watch; the device re-reads the size then.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (device.BlockCount != (8 << 20) / 512 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal((8 << 20) / 512, device.BlockCount);
        byte[] data = Pattern(512, seed: 5);
        await device.WriteAsync(device.BlockCount - 1, data, forceUnitAccess: false);
        Assert.Equal(data, await ReadAsync(device, device.BlockCount - 1, 1));
    }

    [Fact]
    public async Task OsdNotAnswering_ReadFailsNotReadyAfterTheTimeout_ThenRecovers()
    {
        RbdImageOptions options = cluster.Image($"timeout-{Guid.NewGuid():N}") is var o
            ? new RbdImageOptions { Pool = o.Pool, Image = o.Image, ConfigPath = o.ConfigPath, OperationTimeout = TimeSpan.FromSeconds(3) }
            : throw new InvalidOperationException();
        RbdBlockDevice.CreateImage(options, 4 << 20);
        await using RbdBlockDevice device = RbdBlockDevice.Open(options);
        byte[] data = Pattern(4096, seed: 9);
        await device.WriteAsync(0, data, forceUnitAccess: false); // so the read must reach the OSD (no object-map shortcut)

        var clock = System.Diagnostics.Stopwatch.StartNew();
        StorageNotReadyException error;
        cluster.PauseOsd();
        try
        {
            error = await Assert.ThrowsAsync<StorageNotReadyException>(async () => await device.ReadAsync(0, new byte[4096]));
        }
        finally
        {
            cluster.ResumeOsd();
        }

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(15));
        Assert.Contains("timed out", error.Message, StringComparison.Ordinal);
        Assert.Equal(data, await ReadAsync(device, 0, 8));
    }

    [Fact]
    public async Task WriteSame_OfAPattern_OverBlocksAcrossAnObject_ReadsBackAsThePattern_AndLeavesTheNeighbours()
    {
        RbdImageOptions options = cluster.Image($"writesame-{Guid.NewGuid():N}");
        RbdBlockDevice.CreateImage(options, 8 << 20, order: 20);
        await using RbdBlockDevice device = RbdBlockDevice.Open(options);
        byte[] before = Pattern(4 << 20, seed: 3);
        await device.WriteAsync(0, before, forceUnitAccess: false);
        byte[] block = Pattern(512, seed: 11);
        // Blocks 2000 .. 2999: across the 1 MiB object boundary at block 2048.
        await device.WriteSameAsync(2000, 1000, block, forceUnitAccess: true);

        byte[] after = await ReadAsync(device, 0, 8192);

        for (int i = 0; i < 8192; i++)
        {
            byte[] expected = i is >= 2000 and < 3000 ? block : before.AsSpan(i * 512, 512).ToArray();
            Assert.True(expected.AsSpan().SequenceEqual(after.AsSpan(i * 512, 512)), $"block {i}");
        }
    }

    [Fact]
    public async Task WriteSame_OfZeros_ReadsBackAsZeros()
    {
        RbdImageOptions options = cluster.Image($"writesame0-{Guid.NewGuid():N}");
        RbdBlockDevice.CreateImage(options, 4 << 20, order: 20);
        await using RbdBlockDevice device = RbdBlockDevice.Open(options);
        await device.WriteAsync(0, Pattern(64 * 512, seed: 4), forceUnitAccess: false);

        await device.WriteSameAsync(3, 7, new byte[512], forceUnitAccess: false);

        byte[] after = await ReadAsync(device, 0, 64);
        Assert.All(after.AsSpan(3 * 512, 7 * 512).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(Pattern(64 * 512, seed: 4).AsSpan(10 * 512).ToArray(), after.AsSpan(10 * 512).ToArray());
    }

    [Fact]
    public async Task CompareAndWrite_ThatMatches_WritesTheNewData()
    {
        RbdImageOptions options = cluster.Image($"caw-{Guid.NewGuid():N}");
        RbdBlockDevice.CreateImage(options, 8 << 20);
        await using RbdBlockDevice device = RbdBlockDevice.Open(options);
        long lba = 8192 + 5; // the second 4 MiB object, not at its start
        byte[] old = Pattern(512, seed: 21);
        byte[] replacement = Pattern(512, seed: 22);
        await device.WriteAsync(lba, old, forceUnitAccess: false);
        Assert.True(device.CanCompareAndWrite(lba, 1));

        long differs = await device.CompareAndWriteAsync(lba, old, replacement, forceUnitAccess: false);

        Assert.Equal(-1, differs);
        Assert.Equal(replacement, await ReadAsync(device, lba, 1));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(8192 + 5, 37)]
    [InlineData(8192 + 5, 511)]
    [InlineData(1, 0)]
    public async Task CompareAndWrite_ThatMismatches_ReturnsTheOffsetOfTheFirstDifferingByte_AndWritesNothing(long lba, int firstDifference)
    {
        RbdImageOptions options = cluster.Image($"caw-miss-{Guid.NewGuid():N}");
        RbdBlockDevice.CreateImage(options, 8 << 20);
        await using RbdBlockDevice device = RbdBlockDevice.Open(options);
        byte[] old = Pattern(512, seed: 31);
        await device.WriteAsync(lba, old, forceUnitAccess: false);
        byte[] compare = (byte[])old.Clone();
        compare[firstDifference] ^= 0x5A;
        if (firstDifference + 3 < compare.Length)
        {
            compare[firstDifference + 3] ^= 0x01; // a later difference does not count
        }

        long differs = await device.CompareAndWriteAsync(lba, compare, Pattern(512, seed: 32), forceUnitAccess: false);

        Assert.Equal(firstDifference, differs);
        Assert.Equal(old, await ReadAsync(device, lba, 1));
    }

    [Fact]
    public async Task CompareAndWrite_ManyAtOnceOnOneBlock_ExactlyOneOfThoseComparingTheSameDataWins()
    {
        RbdImageOptions options = cluster.Image($"caw-race-{Guid.NewGuid():N}");
        RbdBlockDevice.CreateImage(options, 4 << 20);
        await using RbdBlockDevice device = RbdBlockDevice.Open(options);
        byte[] old = Pattern(512, seed: 41);
        await device.WriteAsync(9, old, forceUnitAccess: false);
        byte[][] writes = Enumerable.Range(0, 32).Select(i => Pattern(512, seed: 100 + i)).ToArray();

        long[] results = await Task.WhenAll(writes.Select(w => device.CompareAndWriteAsync(9, old, w, forceUnitAccess: false).AsTask()));

        int winner = Assert.Single(Enumerable.Range(0, results.Length), i => results[i] == -1);
        Assert.Equal(writes[winner], await ReadAsync(device, 9, 1));
    }

    [Fact]
    public async Task ManyOutstandingReads_EachGetsItsOwnBlocks()
    {
        RbdImageOptions options = cluster.Image($"qd-{Guid.NewGuid():N}");
        RbdBlockDevice.CreateImage(options, 16 << 20);
        await using RbdBlockDevice device = RbdBlockDevice.Open(options);
        byte[] data = Pattern(4 << 20, seed: 77);
        await device.WriteAsync(0, data, forceUnitAccess: false);

        byte[][] buffers = Enumerable.Range(0, 256).Select(_ => new byte[4096]).ToArray();
        await Task.WhenAll(buffers.Select((b, i) => device.ReadAsync(i * 8L, b).AsTask()));

        for (int i = 0; i < buffers.Length; i++)
        {
            Assert.Equal(data.AsSpan(i * 4096, 4096).ToArray(), buffers[i]);
        }
    }
}
#endif
