#if !NO_CEPH
using System.Buffers.Binary;
using NetScsi.Scsi;
using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Emulation;

namespace NetScsi.Storage.Rbd.Tests;

/// <summary>WRITE SAME and COMPARE AND WRITE through the SBC logical unit on an RBD image (librbd's own calls).</summary>
[Collection(CephCollection.Name)]
public sealed class RbdLogicalUnitTests(CephCluster cluster)
{
    private static readonly ItNexus Nexus = new(new TransportId(new byte[24]), new TransportId(new byte[24]), 1, null);

    [Fact]
    public async Task CompareAndWrite_ThatMismatches_IsMiscompareWithTheOffsetOfTheFirstDifferingByte_AndWritesNothing()
    {
        await using RbdBlockDevice device = OpenNewImage("lu-caw-miss");
        var unit = new BlockLogicalUnit(device, new LogicalUnitOptions());
        await RunAsync(unit, new byte[6]); // TEST UNIT READY: the power-on unit attention
        long lba = 8192 + 3;
        byte[] old = new byte[512];
        old.AsSpan().Fill(0x11);
        await device.WriteAsync(lba, old, forceUnitAccess: false);
        byte[] data = new byte[1024];
        data.AsSpan(0, 512).Fill(0x11);
        data[200] = 0x12;
        data.AsSpan(512).Fill(0x22);

        ScsiTask task = await RunAsync(unit, CompareAndWrite((ulong)lba), data);

        Assert.Equal(ScsiStatus.CheckCondition, task.Status);
        Assert.True(SenseData.TryParse(task.Sense, out SenseKey key, out byte asc, out byte ascq));
        Assert.Equal((SenseKey.Miscompare, 0x1D, 0x00), (key, asc, ascq));
        Assert.True(SenseData.TryGetInformation(task.Sense, out ulong offset));
        Assert.Equal(200UL, offset);
        byte[] back = new byte[512];
        await device.ReadAsync(lba, back);
        Assert.Equal(old, back);
    }

    [Fact]
    public async Task CompareAndWrite_Of4KiBBlocks_MismatchIsMiscompareWithItsOffset_AndAMatchWrites()
    {
        // librbd 16 compares and writes only within 512 bytes: the logical unit then does it itself (exclusively).
        RbdImageOptions options = cluster.Image($"lu-caw4k-{Guid.NewGuid():N}", blockSize: 4096);
        RbdBlockDevice.CreateImage(options, 8 << 20);
        await using RbdBlockDevice device = RbdBlockDevice.Open(options);
        var unit = new BlockLogicalUnit(device, new LogicalUnitOptions());
        await RunAsync(unit, new byte[6]);
        byte[] data = new byte[8192];
        data[3000] = 1; // the medium is zeros
        data.AsSpan(4096).Fill(0x44);

        ScsiTask miss = await RunAsync(unit, CompareAndWrite(1025), data);
        data[3000] = 0;
        ScsiTask hit = await RunAsync(unit, CompareAndWrite(1025), data);

        Assert.True(SenseData.TryParse(miss.Sense, out SenseKey key, out _, out _));
        Assert.Equal(SenseKey.Miscompare, key);
        Assert.True(SenseData.TryGetInformation(miss.Sense, out ulong offset));
        Assert.Equal(3000UL, offset);
        Assert.Equal(ScsiStatus.Good, hit.Status);
        byte[] back = new byte[4096];
        await device.ReadAsync(1025, back);
        Assert.All(back, b => Assert.Equal(0x44, b));
    }

    [Fact]
    public async Task CompareAndWrite_ThatMatches_IsGoodAndWrites()
    {
        await using RbdBlockDevice device = OpenNewImage("lu-caw");
        var unit = new BlockLogicalUnit(device, new LogicalUnitOptions());
        await RunAsync(unit, new byte[6]);
        byte[] data = new byte[1024];
        data.AsSpan(512).Fill(0x33); // the blocks are unwritten: zeros compare equal

        ScsiTask task = await RunAsync(unit, CompareAndWrite(77), data);

        Assert.Equal(ScsiStatus.Good, task.Status);
        byte[] back = new byte[512];
        await device.ReadAsync(77, back);
        Assert.All(back, b => Assert.Equal(0x33, b));
    }

    [Fact]
    public async Task WriteSame16_OfAPattern_ReadsBackAsThePatternOverTheRange()
    {
        await using RbdBlockDevice device = OpenNewImage("lu-ws");
        var unit = new BlockLogicalUnit(device, new LogicalUnitOptions());
        await RunAsync(unit, new byte[6]);
        byte[] pattern = new byte[512];
        for (int i = 0; i < pattern.Length; i++)
        {
            pattern[i] = (byte)(i * 7);
        }
        byte[] cdb = new byte[16];
        cdb[0] = ScsiOpcode.WriteSame16;
        BinaryPrimitives.WriteUInt64BigEndian(cdb.AsSpan(2), 8000);
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(10), 400); // across the 4 MiB object boundary at 8192

        ScsiTask task = await RunAsync(unit, cdb, pattern);

        Assert.Equal(ScsiStatus.Good, task.Status);
        byte[] back = new byte[402 * 512];
        await device.ReadAsync(7999, back);
        Assert.All(back.AsSpan(0, 512).ToArray(), b => Assert.Equal(0, b));
        Assert.All(back.AsSpan(401 * 512).ToArray(), b => Assert.Equal(0, b));
        for (int i = 1; i <= 400; i++)
        {
            Assert.True(pattern.AsSpan().SequenceEqual(back.AsSpan(i * 512, 512)), $"block {7999 + i}");
        }
    }

    private RbdBlockDevice OpenNewImage(string prefix)
    {
        RbdImageOptions options = cluster.Image($"{prefix}-{Guid.NewGuid():N}");
        RbdBlockDevice.CreateImage(options, 8 << 20);
        return RbdBlockDevice.Open(options);
    }

    private static byte[] CompareAndWrite(ulong lba)
    {
        byte[] cdb = new byte[16];
        cdb[0] = ScsiOpcode.CompareAndWrite;
        BinaryPrimitives.WriteUInt64BigEndian(cdb.AsSpan(2), lba);
        cdb[13] = 1;
        return cdb;
    }

    private static async Task<ScsiTask> RunAsync(BlockLogicalUnit unit, byte[] cdb, byte[]? dataOut = null)
    {
        var task = new ScsiTask { Nexus = Nexus, Attribute = TaskAttribute.Simple };
        task.SetCdb(cdb);
        if (dataOut is not null)
        {
            task.Direction = DataDirection.Write;
            task.ExpectedDataTransferLength = dataOut.Length;
            task.Buffer = dataOut;
        }
        await unit.ExecuteAsync(task, CancellationToken.None);
        return task;
    }
}
#endif
