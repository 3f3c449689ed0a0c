using System.Buffers;
using NetScsi.Iscsi.Digests;
using NetScsi.Iscsi.Tests.Pdus;

namespace NetScsi.Iscsi.Tests.Digests;

/// <summary>
/// CRC32C against the examples of RFC 3720 Appendix B.4 (the digest RFC 7143 §13.1 keeps). The RFC
/// lists each digest as the bytes that go on the wire, so these tests compare wire bytes, which also
/// pins down the byte order of <see cref="Crc32C.Write"/>.
/// </summary>
public class Crc32CTests
{
    private static byte[] WireDigest(ReadOnlySpan<byte> data)
    {
        var digest = new byte[Crc32C.DigestLength];
        Crc32C.Write(digest, Crc32C.Compute(data));
        return digest;
    }

    [Fact]
    public void Crc32C_ThirtyTwoZeros_MatchesRfcVector()
        => Assert.Equal(Hex.Bytes("aa 36 91 8a"), WireDigest(new byte[32]));

    [Fact]
    public void Crc32C_ThirtyTwoOnes_MatchesRfcVector()
        => Assert.Equal(Hex.Bytes("43 ab a8 62"), WireDigest(Enumerable.Repeat((byte)0xFF, 32).ToArray()));

    [Fact]
    public void Crc32C_ThirtyTwoAscending_MatchesRfcVector()
        => Assert.Equal(Hex.Bytes("4e 79 dd 46"), WireDigest(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));

    [Fact]
    public void Crc32C_ThirtyTwoDescending_MatchesRfcVector()
        => Assert.Equal(Hex.Bytes("5c db 3f 11"), WireDigest(Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray()));

    /// <summary>The 48-byte iSCSI READ(10) SCSI Command PDU example of RFC 3720 Appendix B.4.</summary>
    internal static readonly byte[] RfcReadPdu = Hex.Bytes(
        "01 c0 00 00" + "00 00 00 00" + "00 00 00 00" + "00 00 00 00" +
        "14 00 00 00" + "00 00 04 00" + "00 00 00 14" + "00 00 00 18" +
        "28 00 00 00" + "00 00 00 00" + "02 00 00 00" + "00 00 00 00");

    [Fact]
    public void Crc32C_RfcIscsiReadPdu_MatchesRfcVector()
        => Assert.Equal(Hex.Bytes("56 3a 96 d9"), WireDigest(RfcReadPdu));

    [Fact]
    public void Crc32C_CheckString_MatchesCatalogueValue()
    {
        // The usual CRC-32C check value (Castagnoli, reflected): CRC of ASCII "123456789".
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
    }

    [Fact]
    public void Crc32C_Empty_IsZero()
        => Assert.Equal(0u, Crc32C.Compute([]));

    [Fact]
    public void Crc32C_WriteAndRead_AreLeastSignificantByteFirst()
    {
        var bytes = new byte[4];
        Crc32C.Write(bytes, 0x8A9136AA);
        Assert.Equal(Hex.Bytes("aa 36 91 8a"), bytes);
        Assert.Equal(0x8A9136AAu, Crc32C.Read(bytes));
    }

    private static byte[] Pattern(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 31 + 7)).ToArray();

    [Fact]
    public void Append_SplitSpans_EqualsOneShot()
    {
        // Covers the 8-byte fast path and the byte tail on both sides of every split point.
        var data = Pattern(67);
        uint oneShot = Crc32C.Compute(data);
        for (int split = 0; split <= data.Length; split++)
        {
            uint crc = Crc32C.Append(Crc32C.Seed, data.AsSpan(0, split));
            crc = Crc32C.Append(crc, data.AsSpan(split));
            Assert.Equal(oneShot, Crc32C.Finish(crc));
        }
    }

    [Fact]
    public void Append_ManySmallSpans_EqualsOneShot()
    {
        var data = Pattern(100);
        uint crc = Crc32C.Seed;
        for (int i = 0; i < data.Length; i += 3)
        {
            crc = Crc32C.Append(crc, data.AsSpan(i, Math.Min(3, data.Length - i)));
        }
        Assert.Equal(Crc32C.Compute(data), Crc32C.Finish(crc));
    }

    [Fact]
    public void Append_MultiSegmentSequence_EqualsOneShot()
    {
        var data = Pattern(50);
        var sequence = Segment.Split(data, 1, 9, 9, 24, 33);
        Assert.False(sequence.IsSingleSegment);
        Assert.Equal(Crc32C.Compute(data), Crc32C.Finish(Crc32C.Append(Crc32C.Seed, sequence)));
    }

    [Fact]
    public void Append_OneBytePerSegmentSequence_EqualsOneShot()
    {
        var data = Pattern(32);
        Assert.Equal(Crc32C.Compute(data), Crc32C.Finish(Crc32C.Append(Crc32C.Seed, Segment.OneBytePerSegment(data))));
    }

    [Fact]
    public void Append_SingleSegmentSequence_EqualsOneShot()
    {
        var data = Pattern(40);
        Assert.Equal(Crc32C.Compute(data), Crc32C.Finish(Crc32C.Append(Crc32C.Seed, new ReadOnlySequence<byte>(data))));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(13)]
    public void AppendPadding_EqualsCrcOverZeroPaddedData(int length)
    {
        var data = Pattern(length);
        var padded = new byte[(length + 3) & ~3];
        data.CopyTo(padded, 0);

        uint crc = Crc32C.AppendPadding(Crc32C.Append(Crc32C.Seed, data), length);
        Assert.Equal(Crc32C.Compute(padded), Crc32C.Finish(crc));
    }

    [Fact]
    public void AppendPadding_AlignedLength_AddsNothing()
    {
        uint crc = Crc32C.Append(Crc32C.Seed, Pattern(8));
        Assert.Equal(crc, Crc32C.AppendPadding(crc, 8));
    }
}
