using System.Buffers.Binary;
using System.Text;
using NetScsi.Iscsi.Session;
using NetScsi.Scsi;

namespace NetScsi.Iscsi.Tests.Session;

/// <summary>SPC-4 §7.6.4.6: iSCSI TransportIDs, as the iSCSI transport gives them to the SCSI layer.</summary>
public sealed class IscsiTransportIdCodecTests
{
    private static readonly IscsiTransportIdCodec Codec = IscsiTransportIdCodec.Instance;

    private static byte[] Raw(string name, int format, int protocol = IscsiTransportIdCodec.IscsiProtocolIdentifier, int? additionalLength = null)
    {
        int padded = Math.Max(20, (Encoding.UTF8.GetByteCount(name) + 1 + 3) & ~3);
        byte[] t = new byte[4 + padded];
        t[0] = (byte)((format << 6) | protocol);
        BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(2), (ushort)(additionalLength ?? padded));
        Encoding.UTF8.GetBytes(name, t.AsSpan(4));
        return t;
    }

    [Fact]
    public void ForPort_IsFormat01_NameSeparatorAndTwelveHexDigits_NulPaddedToAMultipleOfFour()
    {
        TransportId id = IscsiTransportIdCodec.ForPort("iqn.2024-01.test:a", 0x23D000000001);

        string expectedName = "iqn.2024-01.test:a,i,0x23d000000001";
        Assert.Equal(0x45, id.Bytes[0]);
        Assert.Equal(5, id.ProtocolIdentifier);
        Assert.Equal(1, id.FormatCode);
        Assert.Equal(0, id.Length % 4);
        Assert.Equal(id.Length - 4, BinaryPrimitives.ReadUInt16BigEndian(id.Bytes[2..]));
        Assert.Equal(expectedName, Encoding.UTF8.GetString(id.Bytes.Slice(4, expectedName.Length)));
        Assert.Equal(0, id.Bytes[4 + expectedName.Length]);
        Assert.Equal(expectedName, Codec.Format(id));
    }

    [Fact]
    public void ForDevice_ShortName_IsPaddedToTheMinimumOf24Bytes()
    {
        TransportId id = IscsiTransportIdCodec.ForDevice("iqn.x");

        Assert.Equal(TransportId.MinimumLength, id.Length);
        Assert.Equal(0x05, id.Bytes[0]);
        Assert.Equal(20, BinaryPrimitives.ReadUInt16BigEndian(id.Bytes[2..]));
    }

    [Fact]
    public void Names_CompareCaseInsensitively_ThroughTheCanonicalForm()
    {
        Assert.Equal(IscsiTransportIdCodec.ForPort("IQN.2024-01.Test:A", 1), IscsiTransportIdCodec.ForPort("iqn.2024-01.test:a", 1));
        Assert.NotEqual(IscsiTransportIdCodec.ForPort("iqn.2024-01.test:a", 1), IscsiTransportIdCodec.ForPort("iqn.2024-01.test:a", 2));
    }

    [Fact]
    public void CreateNexus_NamesPortAndDevice_AndEqualsAnotherNexusOfThatPortOnThatTargetPort()
    {
        ItNexus a = IscsiTransportIdCodec.CreateNexus("iqn.2024-01.test:a", 1, 1);
        ItNexus again = IscsiTransportIdCodec.CreateNexus("iqn.2024-01.test:a", 1, 1);

        Assert.Equal(a, again);
        Assert.Equal(a.GetHashCode(), again.GetHashCode());
        Assert.NotEqual(a, IscsiTransportIdCodec.CreateNexus("iqn.2024-01.test:a", 1, 2));
        Assert.Equal(IscsiTransportIdCodec.ForDevice("iqn.2024-01.test:a"), a.InitiatorDevice);
        Assert.Same(Codec, a.TransportIds);
        Assert.Contains("iqn.2024-01.test:a,i,0x000000000001", a.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_PortName_GivesTheCanonicalPortAndItsDevice()
    {
        byte[] raw = Raw("IQN.2024-01.test:b,I,0x4", format: 1);

        Assert.True(Codec.TryParse(raw, out ParsedTransportId parsed, out _));

        Assert.True(parsed.NamesPort);
        Assert.Equal(IscsiTransportIdCodec.ForPort("iqn.2024-01.test:b", 4), parsed.Id);
        Assert.Equal(IscsiTransportIdCodec.ForDevice("iqn.2024-01.test:b"), parsed.Device);
        Assert.Equal(raw.Length, parsed.Length);
    }

    [Fact]
    public void TryParse_DeviceName_NamesTheDevice()
    {
        Assert.True(Codec.TryParse(Raw("iqn.2024-01.test:b", format: 0), out ParsedTransportId parsed, out _));

        Assert.False(parsed.NamesPort);
        Assert.Equal(parsed.Id, parsed.Device);
    }

    [Theory]
    [InlineData("iqn.a", 2, 0, 7)]                       // reserved FORMAT CODE 10b
    [InlineData("iqn.a,i,0xnothex", 1, 4, -1)]          // port name without an ISID
    [InlineData("iqn.a,i,0x1234567890123", 1, 4, -1)]   // ISID longer than 48 bits
    [InlineData("", 0, 4, -1)]                          // empty name
    public void TryParse_Malformed_NamesTheField(string name, int format, int offset, int bit)
    {
        Assert.False(Codec.TryParse(Raw(name, format), out _, out TransportIdFieldError error));

        Assert.Equal(new TransportIdFieldError(offset, bit), error);
    }

    [Theory]
    [InlineData(18)] // ADDITIONAL LENGTH below 20
    [InlineData(22)] // not a multiple of 4
    [InlineData(40)] // past the data
    public void TryParse_BadAdditionalLength_PointsAtIt(int additionalLength)
    {
        Assert.False(Codec.TryParse(Raw("iqn.a", 0, additionalLength: additionalLength), out _, out TransportIdFieldError error));

        Assert.Equal(new TransportIdFieldError(2, -1), error);
    }

    [Fact]
    public void TryParse_ShorterThanATransportId_IsAWrongLength()
    {
        Assert.False(Codec.TryParse(new byte[20], out _, out TransportIdFieldError error));

        Assert.True(error.IsLength);
    }

    [Fact]
    public void FromVersion1Names_GivesTheNexusTheTransportCreatesForThatPort()
    {
        ItNexus restored = IscsiTransportIdCodec.FromVersion1Names("iqn.a", "iqn.a,i,0x000000000001", 3);

        Assert.Equal(IscsiTransportIdCodec.CreateNexus("iqn.a", 1, 3), restored);
        Assert.Throws<FormatException>(() => IscsiTransportIdCodec.FromVersion1Names("iqn.a", "iqn.b,i,0x1", 3));
    }
}
