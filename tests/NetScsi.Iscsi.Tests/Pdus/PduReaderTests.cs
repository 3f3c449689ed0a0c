using System.Buffers;
using NetScsi.Iscsi.Digests;
using NetScsi.Iscsi.Pdus;

namespace NetScsi.Iscsi.Tests.Pdus;

/// <summary>
/// Framing per RFC 7143 §11.2: BHS, AHS (TotalAHSLength words), header digest, data segment padded
/// to 4 bytes, data digest. Frames here are assembled by hand, independently of <see cref="PduWriter"/>.
/// </summary>
public class PduReaderTests
{
    private const int MaxData = 8192;

    /// <summary>A NOP-Out header with the given AHS and data lengths.</summary>
    private static byte[] Header(int ahsLength, int dataLength)
    {
        var bhs = Hex.Bytes(
            "40 80 00 00" + "00 00 00 00" + "00 00 00 00" + "00 00 00 00" +
            "00 00 00 07" + "ff ff ff ff" + "00 00 00 09" + "00 00 00 0a" +
            "00 00 00 00" + "00 00 00 00" + "00 00 00 00" + "00 00 00 00");
        bhs[4] = (byte)(ahsLength / 4);
        bhs[5] = (byte)(dataLength >> 16);
        bhs[6] = (byte)(dataLength >> 8);
        bhs[7] = (byte)dataLength;
        return bhs;
    }

    private static byte[] Digest(params byte[][] parts)
    {
        uint crc = Crc32C.Seed;
        foreach (var part in parts)
        {
            crc = Crc32C.Append(crc, part);
        }
        var digest = new byte[4];
        Crc32C.Write(digest, Crc32C.Finish(crc));
        return digest;
    }

    private static byte[] Pad(int dataLength) => new byte[(4 - (dataLength & 3)) & 3];

    /// <summary>Assembles header, AHS, header digest, data, pad, data digest.</summary>
    private static byte[] Frame(byte[] ahs, byte[] data, bool headerDigest, bool dataDigest)
    {
        var header = Header(ahs.Length, data.Length);
        var bytes = new List<byte>();
        bytes.AddRange(header);
        bytes.AddRange(ahs);
        if (headerDigest)
        {
            bytes.AddRange(Digest(header, ahs));
        }
        bytes.AddRange(data);
        bytes.AddRange(Pad(data.Length));
        if (dataDigest && data.Length > 0)
        {
            bytes.AddRange(Digest(data, Pad(data.Length)));
        }
        return [.. bytes];
    }

    private static readonly byte[] Hello = "hello"u8.ToArray();
    private static readonly byte[] Ahs = Hex.Bytes("00 04 01 00 00 00 10 00"); // one 8-byte AHS (length 4, type 1, ...)

    private static PduReadResult Read(byte[] bytes, bool headerDigest, bool dataDigest, out PduFrame frame, int maxData = MaxData)
        => PduReader.TryRead(new ReadOnlySequence<byte>(bytes), maxData, headerDigest, dataDigest, out frame);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(47)]
    public void TryRead_IncompleteHeader_Incomplete(int available)
    {
        var bytes = Frame([], Hello, false, false)[..available];
        Assert.Equal(PduReadResult.Incomplete, Read(bytes, false, false, out _));
    }

    [Theory]
    [InlineData(48)] // header only
    [InlineData(51)] // part of the data
    [InlineData(53)] // data, no padding
    [InlineData(55)] // one pad byte missing
    public void TryRead_IncompleteData_Incomplete(int available)
    {
        var bytes = Frame([], Hello, false, false);
        Assert.Equal(56, bytes.Length);
        Assert.Equal(PduReadResult.Incomplete, Read(bytes[..available], false, false, out _));
    }

    [Fact]
    public void TryRead_ExactFrameWithPadding_Complete()
    {
        var bytes = Frame([], Hello, false, false);

        Assert.Equal(PduReadResult.Complete, Read(bytes, false, false, out var frame));
        Assert.Equal(56, frame.WireLength); // 48 + 5 data + 3 pad
        Assert.Equal(IscsiOpcode.NopOut, frame.Opcode);
        Assert.Equal(5, frame.DataSegmentLength);
        Assert.Equal(Hello, frame.Data.ToArray());
        Assert.Equal(0, frame.AdditionalHeaders.Length);
        Assert.Equal(bytes[..48], ((ReadOnlySpan<byte>)frame.Header).ToArray());
    }

    [Fact]
    public void TryRead_FollowedByNextPdu_StopsAtFrameEnd()
    {
        var first = Frame([], Hello, true, true);
        var second = Frame([], [1, 2, 3, 4], true, true);

        Assert.Equal(PduReadResult.Complete, Read([.. first, .. second], true, true, out var frame));
        Assert.Equal(first.Length, frame.WireLength);
        Assert.Equal(Hello, frame.Data.ToArray());
    }

    [Fact]
    public void TryRead_NoDataSegment_HeaderOnlyFrame()
    {
        var bytes = Frame([], [], false, false);
        Assert.Equal(PduReadResult.Complete, Read(bytes, false, false, out var frame));
        Assert.Equal(48, frame.WireLength);
        Assert.Equal(0, frame.DataSegmentLength);
    }

    [Fact]
    public void TryRead_AhsPresent_SlicesAhsThenData()
    {
        var bytes = Frame(Ahs, Hello, false, false);

        Assert.Equal(PduReadResult.Complete, Read(bytes, false, false, out var frame));
        Assert.Equal(48 + 8 + 8, frame.WireLength);
        Assert.Equal(Ahs, frame.AdditionalHeaders.ToArray());
        Assert.Equal(Hello, frame.Data.ToArray());
    }

    [Fact]
    public void TryRead_AhsPresent_IncompleteUntilAhsArrives()
    {
        var bytes = Frame(Ahs, [], false, false);
        Assert.Equal(PduReadResult.Incomplete, Read(bytes[..52], false, false, out _));
        Assert.Equal(PduReadResult.Complete, Read(bytes, false, false, out _));
    }

    [Fact]
    public void TryRead_HeaderDigestGood_Complete()
    {
        var bytes = Frame(Ahs, Hello, true, false);

        Assert.Equal(PduReadResult.Complete, Read(bytes, true, false, out var frame));
        Assert.Equal(48 + 8 + 4 + 8, frame.WireLength);
        Assert.Equal(Ahs, frame.AdditionalHeaders.ToArray());
        Assert.Equal(Hello, frame.Data.ToArray());
    }

    [Fact]
    public void TryRead_HeaderDigestBad_HeaderDigestError()
    {
        var bytes = Frame([], Hello, true, false);
        bytes[48] ^= 0x01; // flip a bit of the digest

        Assert.Equal(PduReadResult.HeaderDigestError, Read(bytes, true, false, out _));
    }

    [Fact]
    public void TryRead_HeaderCorruptedInFlight_HeaderDigestError()
    {
        var bytes = Frame([], Hello, true, false);
        bytes[27] ^= 0x80; // CmdSN changed after the digest was computed

        Assert.Equal(PduReadResult.HeaderDigestError, Read(bytes, true, false, out _));
    }

    [Fact]
    public void TryRead_HeaderDigestOverBhsOnly_RejectedWhenAhsPresent()
    {
        // The header digest covers BHS and AHS (RFC 7143 §11.2.3); a digest of the BHS alone is wrong.
        var header = Header(Ahs.Length, 0);
        byte[] bytes = [.. header, .. Ahs, .. Digest(header)];

        Assert.Equal(PduReadResult.HeaderDigestError, Read(bytes, true, false, out _));
    }

    [Fact]
    public void TryRead_BadHeaderDigest_ReportedBeforeDataArrives()
    {
        // A corrupted header's DataSegmentLength cannot be trusted, so the reader must not wait for
        // that much data before saying so: the initiator may be waiting for our answer.
        var bytes = Frame([], new byte[4096], true, false);
        bytes[48] ^= 0x01;

        Assert.Equal(PduReadResult.HeaderDigestError, Read(bytes[..52], true, false, out _));
    }

    [Fact]
    public void TryRead_HeaderDigestNotYetArrived_Incomplete()
    {
        var bytes = Frame([], [], true, false);
        Assert.Equal(PduReadResult.Incomplete, Read(bytes[..51], true, false, out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(7)]
    public void TryRead_DataDigestGood_CoversPadding(int length)
    {
        var data = Enumerable.Range(1, length).Select(i => (byte)i).ToArray();
        var bytes = Frame([], data, false, true);

        Assert.Equal(PduReadResult.Complete, Read(bytes, false, true, out var frame));
        Assert.Equal(48 + ((length + 3) & ~3) + 4, frame.WireLength);
        Assert.Equal(data, frame.Data.ToArray());
    }

    [Fact]
    public void TryRead_DataDigestOverUnpaddedData_DataDigestError()
    {
        // The data digest covers the pad bytes too: a digest of the 5 data bytes alone is wrong.
        var header = Header(0, Hello.Length);
        byte[] bytes = [.. header, .. Hello, 0, 0, 0, .. Digest(Hello)];

        Assert.Equal(PduReadResult.DataDigestError, Read(bytes, false, true, out _));
    }

    [Fact]
    public void TryRead_DataDigestBad_DataDigestErrorWithFrameLocated()
    {
        var bytes = Frame([], Hello, true, true);
        bytes[52] ^= 0x20; // corrupt the data; header digest is still good

        Assert.Equal(PduReadResult.DataDigestError, Read(bytes, true, true, out var frame));
        Assert.Equal(bytes.Length, frame.WireLength); // the PDU can be skipped
    }

    [Fact]
    public void TryRead_DataDigestBadInPadding_DataDigestError()
    {
        var bytes = Frame([], Hello, false, true);
        bytes[48 + 5] = 0xAA; // a non-zero pad byte changes the digest

        Assert.Equal(PduReadResult.DataDigestError, Read(bytes, false, true, out _));
    }

    [Fact]
    public void TryRead_DataDigestNegotiatedWithoutData_NoDataDigestExpected()
    {
        var bytes = Frame([], [], true, true);
        Assert.Equal(52, bytes.Length);

        Assert.Equal(PduReadResult.Complete, Read(bytes, true, true, out var frame));
        Assert.Equal(52, frame.WireLength);
    }

    [Fact]
    public void TryRead_DataDigestNotYetArrived_Incomplete()
    {
        var bytes = Frame([], Hello, false, true);
        Assert.Equal(PduReadResult.Incomplete, Read(bytes[..^1], false, true, out _));
    }

    [Theory]
    [InlineData(MaxData + 1)]
    [InlineData(0xFFFFFF)]
    public void TryRead_OversizeDataSegment_RejectedBeforeDataArrives(int dataLength)
    {
        var header = Header(0, dataLength);
        Assert.Equal(PduReadResult.DataSegmentTooLong, Read(header, false, false, out _));
        Assert.Equal(PduReadResult.DataSegmentTooLong, Read(header, false, true, out _));
    }

    [Fact]
    public void TryRead_DataSegmentAtMaximum_WaitsForData()
    {
        var header = Header(0, MaxData);
        Assert.Equal(PduReadResult.Incomplete, Read(header, false, false, out _));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void TryRead_MultiSegmentSequence_SameFrame(bool headerDigest, bool dataDigest)
    {
        var data = Enumerable.Range(0, 13).Select(i => (byte)(0xA0 + i)).ToArray();
        var bytes = Frame(Ahs, data, headerDigest, dataDigest);
        Assert.Equal(PduReadResult.Complete, Read(bytes, headerDigest, dataDigest, out var contiguous));

        var splits = new List<ReadOnlySequence<byte>> { Segment.OneBytePerSegment(bytes) };
        for (int cut = 1; cut < bytes.Length; cut++)
        {
            splits.Add(Segment.Split(bytes, cut));
        }
        splits.Add(Segment.Split(bytes, 20, 47, 50, 61, 63));

        foreach (var sequence in splits)
        {
            Assert.Equal(PduReadResult.Complete, PduReader.TryRead(sequence, MaxData, headerDigest, dataDigest, out var frame));
            Assert.Equal(contiguous.WireLength, frame.WireLength);
            Assert.Equal(((ReadOnlySpan<byte>)contiguous.Header).ToArray(), ((ReadOnlySpan<byte>)frame.Header).ToArray());
            Assert.Equal(Ahs, frame.AdditionalHeaders.ToArray());
            Assert.Equal(data, frame.Data.ToArray());
        }
    }

    [Fact]
    public void TryRead_MultiSegmentSequence_IncompleteHeaderStillIncomplete()
    {
        var bytes = Frame([], Hello, false, false);
        var sequence = Segment.Split(bytes[..47], 10, 30);
        Assert.Equal(PduReadResult.Incomplete, PduReader.TryRead(sequence, MaxData, false, false, out _));
    }
}
