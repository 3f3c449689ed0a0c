using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Emulation;

namespace NetScsi.Scsi.Tests.Commands;

/// <summary>Each CDB builder writes the bytes its standard lays out, and its parser reads them back.</summary>
public sealed class CdbBuilderTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    private static byte[] Written(Func<byte[], int> write)
    {
        byte[] buffer = new byte[32];
        buffer.AsSpan().Fill(0xEE); // the builder must clear what it does not set
        int length = write(buffer);
        return buffer[..length];
    }

    [Theory]
    [InlineData(ScsiOpcode.Read6, 0x1F0102UL, 256u, 0, "08 1F 01 02 00 00")]
    [InlineData(ScsiOpcode.Write6, 0x000102UL, 8u, 0, "0A 00 01 02 08 00")]
    [InlineData(ScsiOpcode.Read10, 0x01020304UL, 0x0506u, BlockCdb.FuaFlag, "28 08 01 02 03 04 00 05 06 00")]
    [InlineData(ScsiOpcode.Write10, 0xFFFFFFFFUL, 1u, 0, "2A 00 FF FF FF FF 00 00 01 00")]
    [InlineData(ScsiOpcode.Read12, 0x01020304UL, 0x05060708u, 0, "A8 00 01 02 03 04 05 06 07 08 00 00")]
    [InlineData(ScsiOpcode.Write12, 0x10UL, 0x20u, BlockCdb.FuaFlag, "AA 08 00 00 00 10 00 00 00 20 00 00")]
    [InlineData(ScsiOpcode.Read16, 0x0102030405060708UL, 0x090A0B0Cu, 0, "88 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 00 00")]
    [InlineData(ScsiOpcode.Write16, 0x1_0000_0000UL, 1u, BlockCdb.FuaFlag, "8A 08 00 00 00 01 00 00 00 00 00 00 00 01 00 00")]
    [InlineData(ScsiOpcode.WriteSame10, 0x10UL, 0x20u, BlockCdb.UnmapFlag, "41 08 00 00 00 10 00 00 20 00")]
    [InlineData(ScsiOpcode.WriteSame16, 0x10UL, 0x20u, BlockCdb.UnmapFlag | BlockCdb.NoDataOutBufferFlag, "93 09 00 00 00 00 00 00 00 10 00 00 00 20 00 00")]
    [InlineData(ScsiOpcode.SynchronizeCache10, 0UL, 0u, BlockCdb.ImmediateFlag, "35 02 00 00 00 00 00 00 00 00")]
    [InlineData(ScsiOpcode.SynchronizeCache16, 0x10UL, 0x20u, 0, "91 00 00 00 00 00 00 00 00 10 00 00 00 20 00 00")]
    [InlineData(ScsiOpcode.WriteAtomic16, 0x10UL, 0x0102u, 0, "9C 00 00 00 00 00 00 00 00 10 00 00 01 02 00 00")]
    public void BlockCdb_WritesTheLayoutOfItsForm_AndParsesItBack(byte opcode, ulong lba, uint blocks, byte flags, string golden)
    {
        BlockCdb cdb = BlockCdb.Create(opcode, lba, blocks, flags);

        byte[] bytes = Written(b => cdb.WriteTo(b));

        Assert.Equal(Hex(golden), bytes);
        Assert.True(BlockCdb.TryParse(bytes, out BlockCdb parsed));
        Assert.Equal(cdb, parsed);
    }

    [Theory]
    [InlineData(ScsiOpcode.Read6, 0x20_0000UL, 1u)]     // 21-bit LBA
    [InlineData(ScsiOpcode.Read6, 0UL, 257u)]           // 8-bit length, 0 = 256
    [InlineData(ScsiOpcode.Read10, 0x1_0000_0000UL, 1u)]
    [InlineData(ScsiOpcode.Write10, 0UL, 0x1_0000u)]
    [InlineData(ScsiOpcode.WriteAtomic16, 0UL, 0x1_0000u)]
    public void BlockCdb_FieldTooLargeForTheForm_Throws(byte opcode, ulong lba, uint blocks)
    {
        BlockCdb cdb = BlockCdb.Create(opcode, lba, blocks);

        Assert.Throws<ArgumentOutOfRangeException>(() => cdb.WriteTo(new byte[16]));
    }

    [Fact]
    public void BlockCdb_NotABlockOpcode_Throws() =>
        Assert.Throws<InvalidOperationException>(() => new BlockCdb(0, 1, 0, 10, 0xC0).WriteTo(new byte[16]));

    [Theory]
    [InlineData(0x01020304UL, 0x0506u, "28 00 01 02 03 04 00 05 06 00")]
    [InlineData(0xFFFF_0000UL, 0x1_0000u, "88 00 00 00 00 00 FF FF 00 00 00 01 00 00 00 00")] // length above 16 bits
    [InlineData(0xFFFF_FFFFUL, 1u, "88 00 00 00 00 00 FF FF FF FF 00 00 00 01 00 00")]       // ends past 32 bits
    public void BuildRead_UsesRead10WhenItFits_ElseRead16(ulong lba, uint blocks, string golden) =>
        Assert.Equal(Hex(golden), Written(b => BlockCdb.BuildRead(b, lba, blocks)));

    [Fact]
    public void BuildWrite_WithFua_SetsTheFuaBit() =>
        Assert.Equal(Hex("2A 08 00 00 00 07 00 00 02 00"), Written(b => BlockCdb.BuildWrite(b, 7, 2, fua: true)));

    [Fact]
    public void TestUnitReady_IsSixZeros()
    {
        byte[] bytes = Written(b => new TestUnitReadyCdb().WriteTo(b));

        Assert.Equal(new byte[6], bytes);
        Assert.True(TestUnitReadyCdb.TryParse(bytes, out _));
        Assert.False(TestUnitReadyCdb.TryParse(bytes[..5], out _));
    }

    [Fact]
    public void RequestSense_WritesDescAndAllocationLength()
    {
        var cdb = new RequestSenseCdb(DescriptorFormat: true, AllocationLength: 252);

        byte[] bytes = Written(b => cdb.WriteTo(b));

        Assert.Equal(Hex("03 01 00 00 FC 00"), bytes);
        Assert.True(RequestSenseCdb.TryParse(bytes, out RequestSenseCdb parsed));
        Assert.Equal(cdb, parsed);
    }

    [Theory]
    [InlineData(false, 0x00, 96, "12 00 00 00 60 00")]
    [InlineData(true, 0x83, 0x0200, "12 01 83 02 00 00")]
    public void Inquiry_WritesEvpdPageAndAllocationLength(bool evpd, byte page, ushort allocationLength, string golden)
    {
        var cdb = new InquiryCdb(evpd, page, allocationLength);

        byte[] bytes = Written(b => cdb.WriteTo(b));

        Assert.Equal(Hex(golden), bytes);
        Assert.True(InquiryCdb.TryParse(bytes, out InquiryCdb parsed));
        Assert.Equal(cdb, parsed);
        Assert.Equal(evpd ? InquiryCdb.VitalProductData(page, allocationLength) : InquiryCdb.Standard(allocationLength), cdb);
    }

    [Fact]
    public void ReportLuns_WritesSelectReportAndAllocationLength()
    {
        var cdb = new ReportLunsCdb(ReportLunsCdb.All, 0x01020304);

        byte[] bytes = Written(b => cdb.WriteTo(b));

        Assert.Equal(Hex("A0 00 02 00 00 00 01 02 03 04 00 00"), bytes);
        Assert.True(ReportLunsCdb.TryParse(bytes, out ReportLunsCdb parsed));
        Assert.Equal(cdb, parsed);
    }

    [Theory]
    [InlineData(ModeSenseCdb.Length6, "1A 08 48 00 FF 00")]
    [InlineData(ModeSenseCdb.Length10, "5A 18 48 00 00 00 00 00 FF 00")]
    public void ModeSense_WritesPageControlPageAndLength(int length, string golden)
    {
        var cdb = new ModeSenseCdb(PageCode: 0x08, PageControl: ModeSenseCdb.ChangeableValues, DisableBlockDescriptors: true,
            LongLba: length == ModeSenseCdb.Length10, CdbLength: length);

        byte[] bytes = Written(b => cdb.WriteTo(b));

        Assert.Equal(Hex(golden), bytes);
        Assert.True(ModeSenseCdb.TryParse(bytes, out ModeSenseCdb parsed));
        Assert.Equal(cdb, parsed);
    }

    [Fact]
    public void ReadCapacity10_IsOpcode25h()
    {
        byte[] bytes = Written(b => new ReadCapacity10Cdb().WriteTo(b));

        Assert.Equal(Hex("25 00 00 00 00 00 00 00 00 00"), bytes);
        Assert.True(ReadCapacity10Cdb.TryParse(bytes, out _));
    }

    [Fact]
    public void ReadCapacity16_AndGetLbaStatus_AreServiceActionsOf9Eh()
    {
        Assert.Equal(Hex("9E 10 00 00 00 00 00 00 00 00 00 00 00 20 00 00"), Written(b => ServiceActionIn16Cdb.ReadCapacity16().WriteTo(b)));
        byte[] bytes = Written(b => ServiceActionIn16Cdb.GetLbaStatus(0x0102030405060708, 24).WriteTo(b));
        Assert.Equal(Hex("9E 12 01 02 03 04 05 06 07 08 00 00 00 18 00 00"), bytes);
        Assert.True(ServiceActionIn16Cdb.TryParse(bytes, out ServiceActionIn16Cdb parsed));
        Assert.Equal(ServiceActionIn16Cdb.GetLbaStatus(0x0102030405060708, 24), parsed);
    }

    [Fact]
    public void Unmap_WritesAnchorAndParameterListLength()
    {
        var cdb = new UnmapCdb(24, Anchor: true);

        byte[] bytes = Written(b => cdb.WriteTo(b));

        Assert.Equal(Hex("42 01 00 00 00 00 00 00 18 00"), bytes);
        Assert.True(UnmapCdb.TryParse(bytes, out UnmapCdb parsed));
        Assert.Equal(cdb, parsed);
    }

    [Fact]
    public void UnmapParameterList_WritesHeaderAndDescriptors_AndReadsThemBack()
    {
        byte[] list = new byte[UnmapParameterList.LengthFor(2)];

        int length = UnmapParameterList.Write(list, [new UnmapBlockDescriptor(0x0102030405060708, 0x090A0B0C), new UnmapBlockDescriptor(1, 2)]);

        Assert.Equal(40, length);
        Assert.Equal(Hex("00 26 00 20 00 00 00 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 00 00 00 00"), list[..24]);
        Assert.Equal(32, UnmapParameterList.ReadBlockDescriptorDataLength(list));
        Assert.Equal(new UnmapBlockDescriptor(1, 2), UnmapParameterList.ReadDescriptor(list, 1));
    }

    [Fact]
    public void CompareAndWrite_WritesLbaAndBlocks()
    {
        var cdb = new CompareAndWriteCdb(0x10, 1, BlockCdb.FuaFlag);

        byte[] bytes = Written(b => cdb.WriteTo(b));

        Assert.Equal(Hex("89 08 00 00 00 00 00 00 00 10 00 00 00 01 00 00"), bytes);
        Assert.True(CompareAndWriteCdb.TryParse(bytes, out CompareAndWriteCdb parsed));
        Assert.Equal(cdb, parsed);
        Assert.True(parsed.Fua);
    }

    [Fact]
    public void PersistentReserveIn_WritesServiceActionAndAllocationLength()
    {
        var cdb = new PersistentReserveInCdb(PersistentReserveInCdb.ReadFullStatus, 0x0400);

        byte[] bytes = Written(b => cdb.WriteTo(b));

        Assert.Equal(Hex("5E 03 00 00 00 00 00 04 00 00"), bytes);
        Assert.True(PersistentReserveInCdb.TryParse(bytes, out PersistentReserveInCdb parsed));
        Assert.Equal(cdb, parsed);
    }

    [Fact]
    public void PersistentReserveOut_WritesServiceActionScopeTypeAndLength()
    {
        var cdb = new PersistentReserveOutCdb(PersistentReserveOutCdb.Reserve, PersistentReservationType.ExclusiveAccessRegistrantsOnly);

        byte[] bytes = Written(b => cdb.WriteTo(b));

        Assert.Equal(Hex("5F 01 06 00 00 00 00 00 18 00"), bytes);
        Assert.True(PersistentReserveOutCdb.TryParse(bytes, out PersistentReserveOutCdb parsed));
        Assert.Equal(cdb, parsed);
    }

    [Fact]
    public void PersistentReserveOutParameters_WritesKeysAndFlags()
    {
        var parameters = new PersistentReserveOutParameters(0xAA, 0xBB, PersistentReserveOutParameters.ActivatePersistThroughPowerLossBit);

        byte[] bytes = Written(b => parameters.WriteTo(b));

        Assert.Equal(Hex("00 00 00 00 00 00 00 AA 00 00 00 00 00 00 00 BB 00 00 00 00 01 00 00 00"), bytes);
        Assert.True(PersistentReserveOutParameters.TryParse(bytes, out PersistentReserveOutParameters parsed));
        Assert.Equal(parameters, parsed);
        Assert.True(parsed.ActivatePersistThroughPowerLoss);
        Assert.False(PersistentReserveOutParameters.TryParse(bytes[..23], out _));
    }

    [Fact]
    public void RegisterAndMoveParameters_WritesTheHeaderAndTheTransportId()
    {
        byte[] transportId = new byte[24];
        transportId[0] = 0x45;
        var parameters = new RegisterAndMoveParameters(0xAA, 0xBB, Unregister: true, ActivatePersistThroughPowerLoss: false, 2, (uint)transportId.Length);
        byte[] list = new byte[48];

        int length = parameters.WriteTo(list, transportId);

        Assert.Equal(48, length);
        Assert.Equal(Hex("00 00 00 00 00 00 00 AA 00 00 00 00 00 00 00 BB 00 02 00 02 00 00 00 18 45"), list[..25]);
        Assert.True(RegisterAndMoveParameters.TryParse(list, out RegisterAndMoveParameters parsed));
        Assert.Equal(parameters, parsed);
    }

    [Fact]
    public void ReportSupportedOperationCodes_WritesOptionsOpcodeServiceActionAndLength()
    {
        var cdb = new ReportSupportedOperationCodesCdb(ReportSupportedOperationCodesCdb.OneServiceAction, 0x1000, ScsiOpcode.PersistentReserveOut, 7, ReturnCommandTimeouts: true);

        byte[] bytes = Written(b => cdb.WriteTo(b));

        Assert.Equal(Hex("A3 0C 82 5F 00 07 00 00 10 00 00 00"), bytes);
        Assert.True(ReportSupportedOperationCodesCdb.TryParse(bytes, out ReportSupportedOperationCodesCdb parsed));
        Assert.Equal(cdb, parsed);
    }

    [Theory]
    [InlineData((ushort)0, 0x123456u, SendMessageCdb.Length6, "0A 00 12 34 56 00")]
    [InlineData((ushort)0x0800, 0x05DCu, SendMessageCdb.Length10, "2A 00 00 00 08 00 00 05 DC 00")]
    public void SendMessage_WritesStreamSelectionAndTransferLength(ushort stream, uint length, int cdbLength, string golden)
    {
        var cdb = new SendMessageCdb(stream, length, cdbLength);

        byte[] bytes = Written(b => cdb.WriteTo(b));

        Assert.Equal(Hex(golden), bytes);
        Assert.True(SendMessageCdb.TryParse(bytes, out SendMessageCdb parsed));
        Assert.Equal(cdb, parsed);
    }

    [Fact]
    public void SendMessage_FieldsBeyondTheForm_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SendMessageCdb(0x0800, 0x1_0000).WriteTo(new byte[10]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SendMessageCdb(0, 0x100_0000, SendMessageCdb.Length6).WriteTo(new byte[6]));
        Assert.Throws<InvalidOperationException>(() => new SendMessageCdb(0x0800, 1, SendMessageCdb.Length6).WriteTo(new byte[6]));
    }
}
