using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Tests.Emulation;

namespace NetScsi.Scsi.Tests.Commands;

public sealed class CdbDecoderTests
{
    [Fact]
    public void Read6_ZeroTransferLength_Means256Blocks()
    {
        Assert.True(CdbDecoder.TryDecodeBlock(Cdbs.Read6(5, 0), out BlockCdb cdb));
        Assert.Equal(256u, cdb.TransferLength);
        Assert.Equal(5UL, cdb.Lba);
        Assert.Equal(6, cdb.CdbLength);
    }

    [Fact]
    public void Read6_LbaIs21Bits()
    {
        byte[] raw = [ScsiOpcode.Read6, 0xFF, 0x12, 0x34, 1, 0];
        Assert.True(CdbDecoder.TryDecodeBlock(raw, out BlockCdb cdb));
        Assert.Equal(0x1F1234UL, cdb.Lba);
        Assert.Equal(0, cdb.Flags);
    }

    [Fact]
    public void Write10_DecodesLbaLengthAndFua()
    {
        Assert.True(CdbDecoder.TryDecodeBlock(Cdbs.Write10(0x01020304, 0x0506, 0x08), out BlockCdb cdb));
        Assert.Equal(0x01020304UL, cdb.Lba);
        Assert.Equal(0x0506u, cdb.TransferLength);
        Assert.True(cdb.Fua);
        Assert.False(cdb.Dpo);
    }

    [Fact]
    public void Read12_DecodesThirtyTwoBitLength()
    {
        Assert.True(CdbDecoder.TryDecodeBlock(Cdbs.Rw12(ScsiOpcode.Read12, 7, 0x00010000, 0x10), out BlockCdb cdb));
        Assert.Equal(7UL, cdb.Lba);
        Assert.Equal(0x10000u, cdb.TransferLength);
        Assert.True(cdb.Dpo);
    }

    [Fact]
    public void Read16_DecodesSixtyFourBitLba()
    {
        Assert.True(CdbDecoder.TryDecodeBlock(Cdbs.Read16(0x0102030405060708, 9, 0xE0), out BlockCdb cdb));
        Assert.Equal(0x0102030405060708UL, cdb.Lba);
        Assert.Equal(9u, cdb.TransferLength);
        Assert.Equal(7, cdb.Protect);
    }

    [Fact]
    public void WriteSame16_DecodesUnmapAndNdob()
    {
        Assert.True(CdbDecoder.TryDecodeBlock(Cdbs.Rw16(ScsiOpcode.WriteSame16, 1, 2, 0x09), out BlockCdb cdb));
        Assert.True(cdb.UnmapBit);
        Assert.True(cdb.NoDataOutBuffer);
        Assert.False(cdb.Anchor);
    }

    [Fact]
    public void WriteSame10_NdobBitIsNotDefined()
    {
        Assert.True(CdbDecoder.TryDecodeBlock(Cdbs.Rw10(ScsiOpcode.WriteSame10, 1, 2, 0x01), out BlockCdb cdb));
        Assert.False(cdb.NoDataOutBuffer);
    }

    [Theory]
    [InlineData(0x00, 0)]
    [InlineData(0x02, 1)]
    [InlineData(0x06, 3)]
    public void Verify10_DecodesByteCheck(byte flags, int expected)
    {
        Assert.True(CdbDecoder.TryDecodeBlock(Cdbs.Rw10(ScsiOpcode.Verify10, 0, 1, flags), out BlockCdb cdb));
        Assert.Equal(expected, cdb.ByteCheck);
    }

    [Fact]
    public void TryDecodeBlock_ShortCdb_ReturnsFalse()
    {
        Assert.False(CdbDecoder.TryDecodeBlock(new byte[] { ScsiOpcode.Read16, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, out _));
    }

    [Fact]
    public void TryDecodeBlock_NonBlockCommand_ReturnsFalse()
    {
        Assert.False(CdbDecoder.TryDecodeBlock(Cdbs.Inquiry(), out _));
        Assert.False(CdbDecoder.TryDecodeBlock(ReadOnlySpan<byte>.Empty, out _));
    }

    [Theory]
    [InlineData(ScsiOpcode.TestUnitReady, 6)]
    [InlineData(ScsiOpcode.Read10, 10)]
    [InlineData(ScsiOpcode.ModeSense10, 10)]
    [InlineData(ScsiOpcode.Read16, 16)]
    [InlineData(ScsiOpcode.Read12, 12)]
    [InlineData(0x7F, 0)]
    [InlineData(0xC0, 0)]
    public void GetCdbLength_FollowsGroupCode(byte opcode, int expected)
    {
        Assert.Equal(expected, CdbDecoder.GetCdbLength(opcode));
    }
}
