namespace NetScsi.Transport.Ethernet.Tests;

public sealed class FrameCodecTests
{
    public static TheoryData<FrameFlags, ushort, uint, uint, uint, uint, uint> Headers => new()
    {
        { FrameFlags.Syn, 0, 0, 0x01020304, 0xFFFFFFFF, 0, 1 << 20 },
        { FrameFlags.Syn | FrameFlags.Ack, 0, 7, 9, 123, 0xFFFFFFFF, 65536 },
        { FrameFlags.Ack, 8976, 0xDEADBEEF, 0xCAFEBABE, 0x80000000, 0x7FFFFFFF, 0 },
        { FrameFlags.Ack | FrameFlags.Fin, 1, 1, 2, 3, 4, 5 },
        { FrameFlags.Rst, 0, 1, 2, 3, 0, 0 },
        { FrameFlags.Ack | FrameFlags.AckRequest, 0, uint.MaxValue, uint.MaxValue, uint.MaxValue, uint.MaxValue, uint.MaxValue },
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public void Header_RoundTrips_EveryField(FrameFlags flags, ushort payload, uint destination, uint source, uint sequence, uint ack, uint window)
    {
        var header = new FrameHeader
        {
            Flags = flags,
            PayloadLength = payload,
            DestinationConnectionId = destination,
            SourceConnectionId = source,
            Sequence = sequence,
            Acknowledgement = ack,
            Window = window,
        };
        var bytes = new byte[FrameHeader.Length + payload];
        header.WriteTo(bytes);

        Assert.Equal(FrameReadStatus.Ok, FrameHeader.TryRead(bytes, out FrameHeader read));
        Assert.Equal(header, read);
    }

    [Fact]
    public void Header_Layout_IsBigEndianAtDocumentedOffsets()
    {
        var bytes = new byte[FrameHeader.Length];
        new FrameHeader
        {
            Flags = FrameFlags.Ack | FrameFlags.Fin,
            PayloadLength = 0x0102,
            DestinationConnectionId = 0x03040506,
            SourceConnectionId = 0x0708090A,
            Sequence = 0x0B0C0D0E,
            Acknowledgement = 0x0F101112,
            Window = 0x13141516,
        }.WriteTo(bytes);

        byte[] expected =
        [
            0x01, 0x06, 0x01, 0x02,
            0x03, 0x04, 0x05, 0x06,
            0x07, 0x08, 0x09, 0x0A,
            0x0B, 0x0C, 0x0D, 0x0E,
            0x0F, 0x10, 0x11, 0x12,
            0x13, 0x14, 0x15, 0x16,
        ];
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(FrameHeader.Length - 1)]
    public void Header_ShorterThan24Bytes_IsTruncated(int length)
    {
        Assert.Equal(FrameReadStatus.Truncated, FrameHeader.TryRead(new byte[length], out _));
    }

    [Fact]
    public void Header_OfAnotherVersion_IsRefused()
    {
        var bytes = new byte[FrameHeader.Length];
        new FrameHeader { Flags = FrameFlags.Ack }.WriteTo(bytes);
        bytes[0] = 2;
        Assert.Equal(FrameReadStatus.UnknownVersion, FrameHeader.TryRead(bytes, out _));
    }

    [Fact]
    public void Header_WhosePayloadRunsPastTheFrame_IsRefused()
    {
        var bytes = new byte[FrameHeader.Length + 10];
        new FrameHeader { Flags = FrameFlags.Ack, PayloadLength = 11 }.WriteTo(bytes);
        Assert.Equal(FrameReadStatus.PayloadBeyondFrame, FrameHeader.TryRead(bytes, out _));
    }

    [Fact]
    public void Header_FollowedByEthernetPadding_KeepsItsOwnPayloadLength()
    {
        var bytes = new byte[EthernetHeader.MinimumFrameLength - EthernetHeader.Length];
        new FrameHeader { Flags = FrameFlags.Ack, PayloadLength = 3 }.WriteTo(bytes);
        Assert.Equal(FrameReadStatus.Ok, FrameHeader.TryRead(bytes, out FrameHeader header));
        Assert.Equal(3, header.PayloadLength);
    }

    [Theory]
    [InlineData((byte)0x20)]
    [InlineData((byte)0x80)]
    [InlineData((byte)(FrameFlags.Syn | FrameFlags.Fin))]
    [InlineData((byte)(FrameFlags.Syn | FrameFlags.Rst))]
    public void Header_WithReservedOrContradictoryFlags_IsRefused(byte flags)
    {
        var bytes = new byte[FrameHeader.Length];
        bytes[0] = FrameHeader.CurrentVersion;
        bytes[1] = flags;
        Assert.Equal(FrameReadStatus.InvalidFlags, FrameHeader.TryRead(bytes, out _));
    }

    [Fact]
    public void RandomBytes_NeverThrow_AndAnAcceptedHeaderFitsItsFrame()
    {
        var random = new Random(1234);
        var bytes = new byte[80];
        for (int i = 0; i < 100_000; i++)
        {
            int length = random.Next(bytes.Length + 1);
            random.NextBytes(bytes.AsSpan(0, length));
            if (length > 0 && random.Next(2) == 0)
            {
                bytes[0] = FrameHeader.CurrentVersion;
            }

            if (FrameHeader.TryRead(bytes.AsSpan(0, length), out FrameHeader header) == FrameReadStatus.Ok)
            {
                Assert.True(FrameHeader.Length + header.PayloadLength <= length);
            }
        }
    }

    [Fact]
    public void EthernetHeader_RoundTrips_AndSaysTruncatedBelow14Bytes()
    {
        var header = new EthernetHeader(MacAddress.Broadcast, new MacAddress(0x02_00_5e_10_00_01), EthernetHeader.NetScsiEtherType);
        var bytes = new byte[EthernetHeader.Length];
        header.WriteTo(bytes);
        Assert.Equal([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01, 0x88, 0xB5], bytes);
        Assert.True(EthernetHeader.TryRead(bytes, out EthernetHeader read));
        Assert.Equal(header, read);
        Assert.False(EthernetHeader.TryRead(bytes.AsSpan(0, 13), out _));
    }

    [Theory]
    [InlineData("02:00:5e:10:00:01", 0x02005e100001UL)]
    [InlineData("02-00-5E-10-00-01", 0x02005e100001UL)]
    [InlineData("02005e100001", 0x02005e100001UL)]
    [InlineData("ff:ff:ff:ff:ff:ff", 0xffffffffffffUL)]
    public void MacAddress_Parses_ColonDashAndBareForms(string text, ulong value)
    {
        Assert.True(MacAddress.TryParse(text, out MacAddress mac));
        Assert.Equal(value, mac.Value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("02:00:5e:10:00")]
    [InlineData("02:00:5e:10:00:0g")]
    [InlineData("02:00-5e:10:00:01")]
    [InlineData("02.00.5e.10.00.01")]
    [InlineData("02:00:5e:10:00:01:02")]
    public void MacAddress_RefusesMalformedText(string text)
    {
        Assert.False(MacAddress.TryParse(text, out _));
    }

    [Fact]
    public void MacAddress_FormatsLowerCaseWithColons_AndKnowsGroupAddresses()
    {
        Assert.Equal("02:00:5e:10:00:01", new MacAddress(0x02005E100001UL).ToString());
        Assert.True(MacAddress.Broadcast.IsGroup);
        Assert.True(new MacAddress(0x01005E000001UL).IsGroup);
        Assert.False(new MacAddress(0x02005E100001UL).IsGroup);
    }
}
