using NetScsi.Transport.Ethernet;

namespace NetScsi.Transport.Aoe.Tests;

public sealed class FrameCodecTests
{
    private static readonly MacAddress s_initiator = new(0x5254_00AE_0001);
    private static readonly MacAddress s_target = new(0x0200_5E10_0001);

    /// <summary>The Linux driver's discovery query as it leaves a tap: 32 octets, broadcast, empty config string.</summary>
    private static byte[] DiscoveryQuery() =>
    [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x52, 0x54, 0x00, 0xAE, 0x00, 0x01, 0x88, 0xA2,
        0x10, 0x00, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x00, 0x12, 0x34,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    [Fact]
    public void Header_DiscoveryQueryOf32Octets_ParsesAsBroadcastQueryConfig()
    {
        byte[] frame = DiscoveryQuery();

        Assert.Equal(AoeReadStatus.Ok, AoeHeader.TryRead(frame, out AoeHeader header));
        Assert.Equal(MacAddress.Broadcast, header.Destination);
        Assert.Equal(s_initiator, header.Source);
        Assert.Equal(AoeCommand.QueryConfig, header.Command);
        Assert.Equal(0x1234u, header.Tag);
        Assert.False(header.IsResponse);
        Assert.True(header.Addresses(258, 3));
        Assert.Equal(AoeReadStatus.Ok, AoeConfigHeader.TryRead(frame.AsSpan(AoeHeader.Length), out AoeConfigHeader config, out ReadOnlySpan<byte> text));
        Assert.Equal(AoeConfigCommand.Read, config.Command);
        Assert.Equal(0, text.Length);
    }

    [Fact]
    public void Header_WriteThenRead_RoundTripsEveryField()
    {
        var header = new AoeHeader
        {
            Destination = s_target, Source = s_initiator, Version = 1, Flags = AoeFlags.Response | AoeFlags.Error,
            Error = AoeError.BadArgument, Major = 0xABCD, Minor = 7, Command = AoeCommand.Ata, Tag = 0xDEADBEEF,
        };
        byte[] bytes = new byte[AoeHeader.Length];
        header.WriteTo(bytes);

        Assert.Equal([0x1C, 0x02, 0xAB, 0xCD, 0x07, 0x00, 0xDE, 0xAD, 0xBE, 0xEF], bytes[14..]);
        Assert.Equal(AoeReadStatus.Ok, AoeHeader.TryRead(bytes, out AoeHeader read));
        Assert.Equal(header, read);
    }

    [Fact]
    public void Header_ShorterThan24Octets_IsTruncated() =>
        Assert.Equal(AoeReadStatus.Truncated, AoeHeader.TryRead(DiscoveryQuery().AsSpan(0, 23), out _));

    [Fact]
    public void Header_OtherEtherType_IsNotAoe()
    {
        byte[] frame = DiscoveryQuery();
        frame[13] = 0xB5;

        Assert.Equal(AoeReadStatus.NotAoe, AoeHeader.TryRead(frame, out _));
    }

    [Fact]
    public void Header_Version2_IsUnsupportedButStillReadSoItCanBeAnswered()
    {
        byte[] frame = DiscoveryQuery();
        frame[14] = 0x20;

        Assert.Equal(AoeReadStatus.UnsupportedVersion, AoeHeader.TryRead(frame, out AoeHeader header));
        Assert.Equal(2, header.Version);
        Assert.Equal(0x1234u, header.Tag);
        AoeHeader response = header.ToResponse(s_target, 1, 0, AoeError.UnsupportedVersion);
        Assert.Equal(AoeFlags.Response | AoeFlags.Error, response.Flags);
        Assert.Equal(AoeCurrentVersionByte, Written(response)[14] & 0xF0);
    }

    private const int AoeCurrentVersionByte = 0x10;

    [Fact]
    public void ToResponse_OfBroadcastRequest_IsAddressedBackWithOurShelfSlotAndTheSameTag()
    {
        AoeHeader.TryRead(DiscoveryQuery(), out AoeHeader request);

        AoeHeader response = request.ToResponse(s_target, 258, 3);

        Assert.Equal(s_initiator, response.Destination);
        Assert.Equal(s_target, response.Source);
        Assert.Equal((ushort)258, response.Major);
        Assert.Equal((byte)3, response.Minor);
        Assert.Equal(request.Tag, response.Tag);
        Assert.Equal(AoeFlags.Response, response.Flags);
    }

    [Fact]
    public void Header_OtherShelfOrSlot_IsNotAddressed()
    {
        var header = new AoeHeader { Major = 1, Minor = 2 };

        Assert.True(header.Addresses(1, 2));
        Assert.False(header.Addresses(1, 3));
        Assert.False(header.Addresses(2, 2));
        Assert.True((header with { Minor = AoeHeader.BroadcastMinor }).Addresses(1, 9));
    }

    [Fact]
    public void AtaHeader_LbaIsLeastSignificantOctetFirstAnd48Bits()
    {
        var ata = new AoeAtaHeader
        {
            Flags = AtaFlags.Extended | AtaFlags.Write, ErrorFeature = 0x11, SectorCount = 17, CommandStatus = 0x34, Lba = 0x0000_0102_0304_0506,
        };
        byte[] bytes = new byte[AoeAtaHeader.Length];
        ata.WriteTo(bytes);

        Assert.Equal([0x41, 0x11, 17, 0x34, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00, 0x00], bytes);
        Assert.Equal(AoeReadStatus.Ok, AoeAtaHeader.TryRead(bytes, out AoeAtaHeader read));
        Assert.Equal(ata, read);
    }

    [Fact]
    public void AtaHeader_ShorterThan12Octets_IsTruncated() =>
        Assert.Equal(AoeReadStatus.Truncated, AoeAtaHeader.TryRead(new byte[11], out _));

    [Fact]
    public void ConfigHeader_WriteThenRead_RoundTripsWithItsString()
    {
        var config = new AoeConfigHeader
        {
            BufferCount = 64, FirmwareVersion = 0x4019, SectorCount = 17, Version = 1, Command = AoeConfigCommand.TestPrefix, ConfigStringLength = 3,
        };
        byte[] bytes = new byte[AoeConfigHeader.Length + 3];
        config.WriteTo(bytes);
        "abc"u8.CopyTo(bytes.AsSpan(AoeConfigHeader.Length));

        Assert.Equal([0x00, 0x40, 0x40, 0x19, 17, 0x12, 0x00, 0x03], bytes[..8]);
        Assert.Equal(AoeReadStatus.Ok, AoeConfigHeader.TryRead(bytes, out AoeConfigHeader read, out ReadOnlySpan<byte> text));
        Assert.Equal(config, read);
        Assert.True(text.SequenceEqual("abc"u8));
    }

    [Fact]
    public void ConfigHeader_StringLongerThanTheFrame_IsRefused()
    {
        byte[] bytes = new byte[AoeConfigHeader.Length + 2];
        bytes[7] = 3;

        Assert.Equal(AoeReadStatus.ConfigStringBeyondFrame, AoeConfigHeader.TryRead(bytes, out _, out _));
    }

    [Fact]
    public void ConfigHeader_StringLengthOver1024_IsRefusedEvenIfTheFrameHoldsIt()
    {
        byte[] bytes = new byte[AoeConfigHeader.Length + 1025];
        bytes[6] = 0x04;
        bytes[7] = 0x01;

        Assert.Equal(AoeReadStatus.ConfigStringTooLong, AoeConfigHeader.TryRead(bytes, out _, out _));
    }

    [Fact]
    public void ConfigHeader_ShorterThan8Octets_IsTruncated() =>
        Assert.Equal(AoeReadStatus.Truncated, AoeConfigHeader.TryRead(new byte[7], out _, out _));

    [Fact]
    public void Responses_ShorterThan60Octets_ArePaddedWithZeros()
    {
        byte[] frame = new byte[100];
        frame.AsSpan().Fill(0xEE);
        AoeHeader.TryRead(DiscoveryQuery(), out AoeHeader request);

        int length = AoeResponse.WriteConfig(frame, request.ToResponse(s_target, 1, 0), new AoeConfigHeader { Version = 1 }, "x"u8);

        Assert.Equal(60, length);
        Assert.Equal((byte)'x', frame[32]);
        Assert.All(frame[33..60], b => Assert.Equal(0, b));
        Assert.Equal(60, AoeResponse.WriteHeaderOnly(frame, request));
        Assert.Equal(36 + 512, AoeResponse.WriteAta(frame.Length >= 548 ? frame : new byte[548], request, default, 512));
    }

    [Theory]
    [InlineData(9000, 17)]
    [InlineData(1500, 2)]
    [InlineData(547, 0)]
    [InlineData(65536, 127)]
    [InlineData(200_000, 255)]
    public void SectorsPerFrame_FollowsTheLinuxDriversRule(int mtu, int sectors) =>
        Assert.Equal(sectors, AoeResponse.SectorsPerFrame(mtu));

    private static byte[] Written(AoeHeader header)
    {
        byte[] bytes = new byte[AoeHeader.Length];
        header.WriteTo(bytes);
        return bytes;
    }
}
