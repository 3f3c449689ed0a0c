using System.Buffers.Binary;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using NetScsi.Transport.Aoe.Ata;

namespace NetScsi.Transport.Aoe.Tests;

public sealed class IdentifyDeviceTests
{
    private static async Task<(byte[] Page, AtaCompletion Completion)> IdentifyAsync(IBlockDevice device, string model = "NETSCSI VIRTUAL-DISK")
    {
        var ata = new AtaHarness(device, model, "0001");
        byte[] page = new byte[17 * 512];
        AtaCompletion completion = await ata.ExecuteAsync(
            new AoeAtaHeader { CommandStatus = AtaOpcode.IdentifyDevice, SectorCount = 1, Lba = 0xA0_000000 }, ReadOnlyMemory<byte>.Empty, page);
        return (page, completion);
    }

    [Fact]
    public async Task Identify_ReturnsOne512OctetPageWithDeviceReady()
    {
        (_, AtaCompletion completion) = await IdentifyAsync(new MemoryBlockDevice(1 << 20));

        Assert.Equal(AtaStatus.DeviceReady, completion.Status);
        Assert.Equal(AtaIdentifyData.Length, completion.DataLength);
    }

    [Fact]
    public async Task Identify_ClaimsLba48AndFlushCacheExtAndStatesTheCapacityInBothPlaces()
    {
        const long sectors = 256L * 2048; // 256 MiB
        (byte[] page, _) = await IdentifyAsync(new MemoryBlockDevice(sectors * 512));

        Assert.NotEqual(0, AtaIdentifyData.ReadWord(page, 83) & (1 << 10));
        Assert.NotEqual(0, AtaIdentifyData.ReadWord(page, 86) & (1 << 10));
        Assert.NotEqual(0, AtaIdentifyData.ReadWord(page, 83) & (1 << 13));
        Assert.NotEqual(0, AtaIdentifyData.ReadWord(page, 83) & (1 << 12));
        Assert.Equal(0x4000, AtaIdentifyData.ReadWord(page, 83) & 0xC000);
        Assert.Equal((uint)sectors, BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(60 * 2)));
        Assert.Equal((ulong)sectors, BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan(100 * 2)));
        Assert.NotEqual(0, AtaIdentifyData.ReadWord(page, 49) & (1 << 9));
    }

    [Fact]
    public async Task Identify_OfADeviceBeyond28Bits_CapsWords60And61AndGivesTheSizeIn100To103()
    {
        const long sectors = 0x1000_0000L + 8; // just over 128 GiB, sparse in memory
        (byte[] page, _) = await IdentifyAsync(new MemoryBlockDevice(sectors * 512));

        Assert.Equal(0x0FFF_FFFFu, BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(60 * 2)));
        Assert.Equal((ulong)sectors, BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan(100 * 2)));
    }

    [Fact]
    public async Task Identify_StringsAreByteSwappedAsciiPaddedWithSpaces()
    {
        (byte[] page, _) = await IdentifyAsync(new MemoryBlockDevice(1 << 20), "NETSCSI VIRTUAL-DISK");

        // "NE" is stored as the word 0x4E45 little-endian: 'E' first on the wire.
        Assert.Equal((byte)'E', page[27 * 2]);
        Assert.Equal((byte)'N', page[(27 * 2) + 1]);
        Assert.Equal("NETSCSI VIRTUAL-DISK", AtaIdentifyData.ReadString(page, AtaIdentifyData.ModelNumberWord, AtaIdentifyData.ModelNumberLength));
        Assert.Equal((byte)' ', page[(46 * 2) + 1]);
        Assert.Equal("0001", AtaIdentifyData.ReadString(page, AtaIdentifyData.FirmwareRevisionWord, AtaIdentifyData.FirmwareRevisionLength));
    }

    [Fact]
    public async Task Identify_NonAsciiInTheModel_IsSentAsQuestionMarks()
    {
        (byte[] page, _) = await IdentifyAsync(new MemoryBlockDevice(1 << 20), "disk\u00e9");

        Assert.Equal("disk?", AtaIdentifyData.ReadString(page, AtaIdentifyData.ModelNumberWord, AtaIdentifyData.ModelNumberLength));
    }

    [Fact]
    public async Task Identify_SerialIsTheSameTheScsiLayerReportsForTheLun()
    {
        var device = new MemoryBlockDevice(1 << 20, identity: "/srv/lun0.img");
        var unit = new BlockLogicalUnit(device, new LogicalUnitOptions());

        (byte[] page, _) = await IdentifyAsync(device);

        Assert.Equal(unit.SerialNumber, AtaIdentifyData.ReadString(page, AtaIdentifyData.SerialNumberWord, AtaIdentifyData.SerialNumberLength));
    }

    [Fact]
    public async Task Identify_IntegrityWordMakesThePageSumToZero()
    {
        (byte[] page, _) = await IdentifyAsync(new MemoryBlockDevice(3 << 20));

        Assert.Equal(AtaIdentifyData.Signature, page[510]);
        int sum = 0;
        for (int i = 0; i < 512; i++)
        {
            sum += page[i];
        }

        Assert.Equal(0, sum & 0xFF);
    }
}
