using NetScsi.Scsi.Storage;
using NetScsi.Transport.Aoe.Ata;

namespace NetScsi.Transport.Aoe.Tests;

public sealed class AtaDeviceTests
{
    private const int Sectors = 4096;
    private const int FrameRoom = 17 * 512; // MTU 9000

    private static MemoryBlockDevice NewDevice(bool readOnly = false) => new(Sectors * 512L, 512, readOnly, identity: "mem:aoe-test");

    private static AoeAtaHeader Request(byte opcode, ulong lba = 0, byte count = 1, byte feature = 0, AtaFlags flags = AtaFlags.None) =>
        new() { Flags = flags, CommandStatus = opcode, Lba = lba, SectorCount = count, ErrorFeature = feature };

    private static byte[] Pattern(int length, byte seed)
    {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (byte)(seed + (i * 7));
        }

        return data;
    }

    [Fact]
    public async Task WriteSectorsExt_ThenReadSectorsExt_ReturnsTheData()
    {
        var ata = new AtaHarness(NewDevice());
        byte[] data = Pattern(17 * 512, 3);

        AtaCompletion written = await ata.ExecuteAsync(Request(AtaOpcode.WriteSectorsExt, 4000, 17, flags: AtaFlags.Extended | AtaFlags.Write), data, new byte[FrameRoom]);
        byte[] back = new byte[FrameRoom];
        AtaCompletion read = await ata.ExecuteAsync(Request(AtaOpcode.ReadSectorsExt, 4000, 17, flags: AtaFlags.Extended), ReadOnlyMemory<byte>.Empty, back);

        Assert.Equal(AtaStatus.DeviceReady, written.Status);
        Assert.Equal(0, written.DataLength);
        Assert.Equal(AtaStatus.DeviceReady, read.Status);
        Assert.Equal(AtaError.None, read.Error);
        Assert.Equal(17 * 512, read.DataLength);
        Assert.Equal(data, back);
        Assert.Equal(AtaFlags.Extended, read.Registers.Flags);
    }

    [Fact]
    public async Task ReadSectors28Bit_IgnoresTheDeviceRegisterBitsInLba3()
    {
        var device = NewDevice();
        byte[] data = Pattern(512, 9);
        await device.WriteAsync(0x0000_0801, data, forceUnitAccess: false);
        var ata = new AtaHarness(device);
        byte[] back = new byte[FrameRoom];

        // The Linux driver sends lba3 = 0xE0 | LBA bits 24-27 for 28-bit commands.
        AtaCompletion read = await ata.ExecuteAsync(Request(AtaOpcode.ReadSectors, 0xE000_0801, 1), ReadOnlyMemory<byte>.Empty, back);

        Assert.Equal(AtaStatus.DeviceReady, read.Status);
        Assert.Equal(data, back[..512]);
    }

    [Fact]
    public async Task WriteSectors28Bit_WritesWhereTheLowNibbleOfLba3Says()
    {
        var device = new MemoryBlockDevice(0x0100_0010L * 512, 512);
        var ata = new AtaHarness(device);
        byte[] data = Pattern(512, 1);

        AtaCompletion written = await ata.ExecuteAsync(Request(AtaOpcode.WriteSectors, 0xE100_0004, 1, flags: AtaFlags.Write), data, new byte[FrameRoom]);
        byte[] back = new byte[512];
        await device.ReadAsync(0x0100_0004, back);

        Assert.Equal(AtaStatus.DeviceReady, written.Status);
        Assert.Equal(data, back);
    }

    [Theory]
    [InlineData(AtaOpcode.ReadSectorsExt, Sectors, 1)]
    [InlineData(AtaOpcode.ReadSectorsExt, Sectors - 1, 2)]
    [InlineData(AtaOpcode.WriteSectorsExt, Sectors, 1)]
    [InlineData(AtaOpcode.ReadSectorsExt, 0xFFFF_FFFF_FFFFUL, 1)]
    [InlineData(AtaOpcode.ReadSectors, 0x0FFF_FFFF, 1)]
    public async Task Transfer_PastTheLastSector_EndsWithIdNotFound(byte opcode, ulong lba, byte count)
    {
        var ata = new AtaHarness(NewDevice());

        AtaCompletion completion = await ata.ExecuteAsync(Request(opcode, lba, count), new byte[FrameRoom], new byte[FrameRoom]);

        Assert.Equal(AoeError.None, completion.AoeError);
        Assert.Equal(AtaStatus.DeviceReady | AtaStatus.Error, completion.Status);
        Assert.Equal(AtaError.IdNotFound, completion.Error);
        Assert.Equal(0, completion.DataLength);
    }

    [Theory]
    [InlineData(AtaOpcode.ReadSectorsExt, 18)]
    [InlineData(AtaOpcode.ReadSectorsExt, 0)]   // 0 means 65536 sectors
    [InlineData(AtaOpcode.ReadSectors, 0)]      // 0 means 256 sectors
    [InlineData(AtaOpcode.WriteSectorsExt, 18)]
    public async Task Transfer_LargerThanTheFrameCarries_IsRefusedWithBadArgument(byte opcode, byte count)
    {
        var ata = new AtaHarness(NewDevice());

        AtaCompletion completion = await ata.ExecuteAsync(Request(opcode, 0, count), new byte[FrameRoom], new byte[FrameRoom]);

        Assert.Equal(AoeError.BadArgument, completion.AoeError);
        Assert.Equal(0, completion.DataLength);
    }

    [Fact]
    public async Task Write_WithLessDataThanItsCount_IsRefusedAndWritesNothing()
    {
        var device = NewDevice();
        var ata = new AtaHarness(device);

        AtaCompletion completion = await ata.ExecuteAsync(Request(AtaOpcode.WriteSectorsExt, 0, 2, flags: AtaFlags.Write), Pattern(1023, 5), new byte[FrameRoom]);
        byte[] back = new byte[1024];
        await device.ReadAsync(0, back);

        Assert.Equal(AoeError.BadArgument, completion.AoeError);
        Assert.All(back, b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task Write_ToAReadOnlyDevice_IsAborted()
    {
        var ata = new AtaHarness(NewDevice(readOnly: true));

        AtaCompletion completion = await ata.ExecuteAsync(Request(AtaOpcode.WriteSectorsExt, 0, 1), new byte[512], new byte[FrameRoom]);

        Assert.Equal(AtaStatus.DeviceReady | AtaStatus.Error, completion.Status);
        Assert.Equal(AtaError.Abort, completion.Error);
    }

    [Fact]
    public async Task Read_TheDeviceCannotDeliver_EndsWithUncorrectable()
    {
        var faulty = new FaultyBlockDevice(NewDevice());
        faulty.FailReads(10);
        var ata = new AtaHarness(faulty);

        AtaCompletion completion = await ata.ExecuteAsync(Request(AtaOpcode.ReadSectorsExt, 8, 4), ReadOnlyMemory<byte>.Empty, new byte[FrameRoom]);

        Assert.Equal(AtaStatus.DeviceReady | AtaStatus.Error, completion.Status);
        Assert.Equal(AtaError.Uncorrectable, completion.Error);
        Assert.Equal(0, completion.DataLength);
    }

    [Fact]
    public async Task Write_TheDeviceRefuses_IsAborted()
    {
        var faulty = new FaultyBlockDevice(NewDevice());
        faulty.FailWrites(3);
        var ata = new AtaHarness(faulty);

        AtaCompletion completion = await ata.ExecuteAsync(Request(AtaOpcode.WriteSectors, 0xE000_0000, 4), new byte[2048], new byte[FrameRoom]);

        Assert.Equal(AtaError.Abort, completion.Error);
    }

    [Theory]
    [InlineData(AtaOpcode.FlushCache)]
    [InlineData(AtaOpcode.FlushCacheExt)]
    public async Task Flush_ThatFails_IsAbortedAndOneThatWorks_IsGood(byte opcode)
    {
        var faulty = new FaultyBlockDevice(NewDevice());
        var ata = new AtaHarness(faulty);

        AtaCompletion good = await ata.ExecuteAsync(Request(opcode, count: 0), ReadOnlyMemory<byte>.Empty, new byte[FrameRoom]);
        faulty.FailFlushes = true;
        AtaCompletion failed = await ata.ExecuteAsync(Request(opcode, count: 0), ReadOnlyMemory<byte>.Empty, new byte[FrameRoom]);

        Assert.Equal(AtaStatus.DeviceReady, good.Status);
        Assert.Equal(AtaStatus.DeviceReady | AtaStatus.Error, failed.Status);
        Assert.Equal(AtaError.Abort, failed.Error);
    }

    [Fact]
    public async Task CheckPowerMode_SaysActiveOrIdle()
    {
        var ata = new AtaHarness(NewDevice());

        AtaCompletion completion = await ata.ExecuteAsync(Request(AtaOpcode.CheckPowerMode, count: 0), ReadOnlyMemory<byte>.Empty, new byte[FrameRoom]);

        Assert.Equal(AtaStatus.DeviceReady, completion.Status);
        Assert.Equal(0xFF, completion.Registers.SectorCount);
    }

    [Theory]
    [InlineData(0x00)] // NOP
    [InlineData(0xC8)] // READ DMA
    [InlineData(0x25)] // READ DMA EXT
    [InlineData(0xB0)] // SMART
    [InlineData(0x06)] // DATA SET MANAGEMENT
    public async Task UnsupportedCommand_IsAbortedWithoutData(byte opcode)
    {
        var ata = new AtaHarness(NewDevice());

        AtaCompletion completion = await ata.ExecuteAsync(Request(opcode), new byte[512], new byte[FrameRoom]);

        Assert.Equal(AoeError.None, completion.AoeError);
        Assert.Equal(AtaStatus.DeviceReady | AtaStatus.Error, completion.Status);
        Assert.Equal(AtaError.Abort, completion.Error);
        Assert.Equal(0, completion.DataLength);
    }

    [Fact]
    public async Task SetFeatures_DisableWriteCache_ClearsWord85Bit5AndEnableSetsItAgain()
    {
        var ata = new AtaHarness(NewDevice());
        byte[] page = new byte[FrameRoom];

        AtaCompletion off = await ata.ExecuteAsync(Request(AtaOpcode.SetFeatures, feature: SetFeaturesSubcommand.DisableWriteCache), ReadOnlyMemory<byte>.Empty, page);
        await ata.ExecuteAsync(Request(AtaOpcode.IdentifyDevice), ReadOnlyMemory<byte>.Empty, page);
        ushort disabled = AtaIdentifyData.ReadWord(page, AtaIdentifyData.CommandSetEnabledWord85);
        await ata.ExecuteAsync(Request(AtaOpcode.SetFeatures, feature: SetFeaturesSubcommand.EnableWriteCache), ReadOnlyMemory<byte>.Empty, page);
        await ata.ExecuteAsync(Request(AtaOpcode.IdentifyDevice), ReadOnlyMemory<byte>.Empty, page);
        ushort enabled = AtaIdentifyData.ReadWord(page, AtaIdentifyData.CommandSetEnabledWord85);

        Assert.Equal(AtaStatus.DeviceReady, off.Status);
        Assert.Equal(0, disabled & (1 << 5));
        Assert.NotEqual(0, enabled & (1 << 5));
        Assert.True(ata.WriteCacheEnabled);
    }

    [Theory]
    [InlineData(SetFeaturesSubcommand.SetTransferMode, 0x0C, true)]  // PIO mode 4
    [InlineData(SetFeaturesSubcommand.SetTransferMode, 0x00, true)]
    [InlineData(SetFeaturesSubcommand.SetTransferMode, 0x46, false)] // UDMA 6: identify claims no DMA
    [InlineData(SetFeaturesSubcommand.EnableReadLookAhead, 0, true)]
    [InlineData(SetFeaturesSubcommand.DisableReadLookAhead, 0, true)]
    [InlineData(0x10, 0, false)]                                       // SATA features
    [InlineData(0x00, 0, false)]
    public async Task SetFeatures_AcceptsWhatAPlainDiskDoesAndAbortsTheRest(byte feature, byte count, bool accepted)
    {
        var ata = new AtaHarness(NewDevice());

        AtaCompletion completion = await ata.ExecuteAsync(Request(AtaOpcode.SetFeatures, count: count, feature: feature), ReadOnlyMemory<byte>.Empty, new byte[FrameRoom]);

        Assert.Equal(accepted ? AtaStatus.DeviceReady : AtaStatus.DeviceReady | AtaStatus.Error, completion.Status);
    }

    [Fact]
    public async Task Identify_WithLessThan512OctetsOfRoom_IsRefusedWithBadArgument()
    {
        var ata = new AtaHarness(NewDevice());

        AtaCompletion completion = await ata.ExecuteAsync(Request(AtaOpcode.IdentifyDevice), ReadOnlyMemory<byte>.Empty, new byte[511]);

        Assert.Equal(AoeError.BadArgument, completion.AoeError);
    }

    [Fact]
    public async Task ReadsAndWrites_OnADeviceThatCompletesSynchronously_AllocateNothing()
    {
        var ata = new AtaHarness(NewDevice());
        byte[] data = Pattern(8 * 512, 2);
        byte[] room = new byte[FrameRoom];
        AoeAtaHeader write = Request(AtaOpcode.WriteSectorsExt, 64, 8, flags: AtaFlags.Extended | AtaFlags.Write);
        AoeAtaHeader read = Request(AtaOpcode.ReadSectorsExt, 64, 8, flags: AtaFlags.Extended);
        await ata.ExecuteAsync(write, data, room);
        await ata.ExecuteAsync(read, ReadOnlyMemory<byte>.Empty, room);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            _ = Completed(ata.ExecuteAsync(write, data, room));
            _ = Completed(ata.ExecuteAsync(read, ReadOnlyMemory<byte>.Empty, room));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>The result of a command that completed synchronously (a memory device's always do).</summary>
    private static AtaCompletion Completed(ValueTask<AtaCompletion> pending) =>
        pending.IsCompleted ? pending.Result : throw new InvalidOperationException("the command did not complete synchronously");

    [Fact]
    public void Device_With4096OctetBlocks_IsRejected() =>
        Assert.Throws<ArgumentException>(() => new AtaHarness(new MemoryBlockDevice(1 << 20, 4096)));
}
