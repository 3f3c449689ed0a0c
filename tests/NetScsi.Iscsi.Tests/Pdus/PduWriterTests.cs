using System.Buffers;
using NetScsi.Iscsi.Digests;
using NetScsi.Iscsi.Pdus;
using RfcVectors = NetScsi.Iscsi.Tests.Digests.Crc32CTests;

namespace NetScsi.Iscsi.Tests.Pdus;

public class PduWriterTests
{
    private const int MaxData = 8192;

    private static byte[] NopInHeader(int dataLength)
    {
        var bhs = new byte[Bhs.Length];
        new NopInPdu
        {
            DataSegmentLength = dataLength,
            InitiatorTaskTag = 7,
            TargetTransferTag = Bhs.ReservedTag,
            StatSN = 1,
            ExpCmdSN = 2,
            MaxCmdSN = 3,
        }.WriteTo(bhs);
        return bhs;
    }

    private static byte[] Data(int length) => Enumerable.Range(0, length).Select(i => (byte)(0x30 + i)).ToArray();

    private static byte[] WriteSpan(byte[] header, byte[] data, bool headerDigest, bool dataDigest)
    {
        var output = new ArrayBufferWriter<byte>();
        PduWriter.Write(output, header, data, headerDigest, dataDigest);
        return output.WrittenSpan.ToArray();
    }

    private static byte[] WriteSequence(byte[] header, in ReadOnlySequence<byte> data, bool headerDigest, bool dataDigest)
    {
        var output = new ArrayBufferWriter<byte>();
        PduWriter.Write(output, header, data, headerDigest, dataDigest);
        return output.WrittenSpan.ToArray();
    }

    [Fact]
    public void Write_NoDigests_HeaderDataZeroPad()
    {
        var header = NopInHeader(5);
        var written = WriteSpan(header, "hello"u8.ToArray(), false, false);

        Assert.Equal([.. header, .. "hello"u8.ToArray(), 0, 0, 0], written);
    }

    [Fact]
    public void Write_NoData_HeaderOnly()
    {
        var header = NopInHeader(0);
        Assert.Equal(header, WriteSpan(header, [], false, true));
        Assert.Equal(52, WriteSpan(header, [], true, true).Length); // header digest, no data digest
    }

    [Fact]
    public void WriteHeader_RfcReadPdu_AppendsRfcHeaderDigest()
    {
        // RFC 3720 B.4: the 48-byte READ PDU's CRC32C goes on the wire as 56 3a 96 d9.
        var output = new ArrayBufferWriter<byte>();
        PduWriter.WriteHeader(output, RfcVectors.RfcReadPdu, headerDigest: true);

        Assert.Equal([.. RfcVectors.RfcReadPdu, .. Hex.Bytes("56 3a 96 d9")], output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Write_AllDigests_LayoutIsHeaderDigestDataPadDigest()
    {
        var header = NopInHeader(6);
        var data = Data(6);
        var written = WriteSpan(header, data, true, true);

        Assert.Equal(48 + 4 + 8 + 4, written.Length);
        Assert.Equal(header, written[..48]);
        Assert.Equal(Crc32C.Compute(header), Crc32C.Read(written.AsSpan(48, 4)));
        Assert.Equal(data, written[52..58]);
        Assert.Equal(new byte[2], written[58..60]);
        Assert.Equal(Crc32C.Compute(written.AsSpan(52, 8)), Crc32C.Read(written.AsSpan(60, 4))); // digest covers the pad
    }

    public static TheoryData<int, bool, bool> RoundTripCases()
    {
        var cases = new TheoryData<int, bool, bool>();
        foreach (int length in new[] { 0, 1, 2, 3, 4, 5, 8, 13, 4096 })
        {
            foreach (bool hd in new[] { false, true })
            {
                foreach (bool dd in new[] { false, true })
                {
                    cases.Add(length, hd, dd);
                }
            }
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void Write_ThenTryRead_RoundTrips(int length, bool headerDigest, bool dataDigest)
    {
        var header = NopInHeader(length);
        var data = Data(length);
        var written = WriteSpan(header, data, headerDigest, dataDigest);

        Assert.Equal(PduReadResult.Complete, PduReader.TryRead(new ReadOnlySequence<byte>(written), MaxData, headerDigest, dataDigest, out var frame));
        Assert.Equal(written.Length, frame.WireLength);
        Assert.Equal(header, ((ReadOnlySpan<byte>)frame.Header).ToArray());
        Assert.Equal(data, frame.Data.ToArray());
        Assert.Equal(0, written.Length % 4);
    }

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void Write_SequenceOverload_SameBytesAsSpanOverload(int length, bool headerDigest, bool dataDigest)
    {
        var header = NopInHeader(length);
        var data = Data(length);
        var cuts = new[] { 1, 3, 8 }.Where(c => c < length).ToArray();
        var sequence = Segment.Split(data, cuts);

        Assert.Equal(WriteSpan(header, data, headerDigest, dataDigest), WriteSequence(header, sequence, headerDigest, dataDigest));
    }

    [Fact]
    public void Write_SequenceOverload_OneBytePerSegment_ReadsBack()
    {
        var header = NopInHeader(11);
        var data = Data(11);
        var written = WriteSequence(header, Segment.OneBytePerSegment(data), true, true);

        Assert.Equal(PduReadResult.Complete, PduReader.TryRead(new ReadOnlySequence<byte>(written), MaxData, true, true, out var frame));
        Assert.Equal(data, frame.Data.ToArray());
    }

    [Fact]
    public void Write_ConsecutivePdus_ReadBackInOrder()
    {
        var output = new ArrayBufferWriter<byte>();
        PduWriter.Write(output, NopInHeader(3), Data(3), true, true);
        PduWriter.Write(output, NopInHeader(0), ReadOnlySpan<byte>.Empty, true, true);
        PduWriter.Write(output, NopInHeader(9), Data(9), true, true);
        var buffer = new ReadOnlySequence<byte>(output.WrittenMemory);

        foreach (int expected in new[] { 3, 0, 9 })
        {
            Assert.Equal(PduReadResult.Complete, PduReader.TryRead(buffer, MaxData, true, true, out var frame));
            Assert.Equal(Data(expected), frame.Data.ToArray());
            buffer = buffer.Slice(frame.WireLength);
        }
        Assert.True(buffer.IsEmpty);
    }
}
