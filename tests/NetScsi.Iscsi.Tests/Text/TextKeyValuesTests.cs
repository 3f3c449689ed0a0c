using System.Buffers;
using System.Text;
using NetScsi.Iscsi.Text;

namespace NetScsi.Iscsi.Tests.Text;

public sealed class TextKeyValuesTests
{
    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Parse_PairsInOrder_KeepsOrderAndValues()
    {
        Assert.True(TextKeyValues.TryParse(Bytes("InitiatorName=iqn.a\0SessionType=Normal\0X-Foo=\0"), out TextKeyValues pairs, out TextParseStatus status));
        Assert.Equal(TextParseStatus.Ok, status);
        Assert.Equal(3, pairs.Count);
        Assert.Equal(new TextKeyValue("InitiatorName", "iqn.a"), pairs[0]);
        Assert.Equal(new TextKeyValue("SessionType", "Normal"), pairs[1]);
        Assert.Equal(new TextKeyValue("X-Foo", ""), pairs[2]);
    }

    [Fact]
    public void Parse_ValueContainingEquals_SplitsAtFirstEquals()
    {
        Assert.True(TextKeyValues.TryParse(Bytes("CHAP_C=0bAAA=\0"), out TextKeyValues pairs, out _));
        Assert.Equal("0bAAA=", pairs[0].Value);
    }

    [Fact]
    public void Parse_Utf8Value_Decodes()
    {
        Assert.True(TextKeyValues.TryParse(Bytes("InitiatorAlias=hôte\0"), out TextKeyValues pairs, out _));
        Assert.Equal("hôte", pairs[0].Value);
    }

    [Fact]
    public void Parse_Empty_IsEmptyList()
    {
        Assert.True(TextKeyValues.TryParse([], out TextKeyValues pairs, out _));
        Assert.Empty(pairs);
    }

    [Fact]
    public void Parse_ExtraNulPadding_IsSkipped()
    {
        Assert.True(TextKeyValues.TryParse(Bytes("A=1\0\0\0"), out TextKeyValues pairs, out _));
        Assert.Single(pairs);
    }

    [Fact]
    public void Parse_LastPairNotNulTerminated_FailsNotTerminated()
    {
        Assert.False(TextKeyValues.TryParse(Bytes("A=1\0B=2"), out _, out TextParseStatus status));
        Assert.Equal(TextParseStatus.NotTerminated, status);
    }

    [Fact]
    public void Parse_MissingEquals_Fails()
    {
        Assert.False(TextKeyValues.TryParse(Bytes("InitiatorName\0"), out _, out TextParseStatus status));
        Assert.Equal(TextParseStatus.MissingEquals, status);
    }

    [Fact]
    public void Parse_EmptyKey_Fails()
    {
        Assert.False(TextKeyValues.TryParse(Bytes("=value\0"), out _, out TextParseStatus status));
        Assert.Equal(TextParseStatus.EmptyKey, status);
    }

    [Fact]
    public void Parse_DuplicateKey_Fails()
    {
        Assert.False(TextKeyValues.TryParse(Bytes("A=1\0A=2\0"), out _, out TextParseStatus status));
        Assert.Equal(TextParseStatus.DuplicateKey, status);
    }

    [Fact]
    public void Parse_DuplicateKeyAllowed_KeepsBoth()
    {
        Assert.True(TextKeyValues.TryParse(Bytes("TargetAddress=a\0TargetAddress=b\0"), out TextKeyValues pairs, out _, allowDuplicateKeys: true));
        Assert.Equal(2, pairs.Count);
    }

    [Fact]
    public void Parse_KeysAreCaseSensitive_DifferentCaseIsNotDuplicate()
    {
        Assert.True(TextKeyValues.TryParse(Bytes("MaxBurstLength=1\0maxburstlength=2\0"), out TextKeyValues pairs, out _));
        Assert.False(pairs.TryGetValue("MAXBURSTLENGTH", out _));
        Assert.True(pairs.TryGetValue("maxburstlength", out string v));
        Assert.Equal("2", v);
    }

    [Fact]
    public void Parse_Key63Bytes_Accepted_64Bytes_Rejected()
    {
        Assert.True(TextKeyValues.TryParse(Bytes(new string('K', 63) + "=v\0"), out _, out _));
        Assert.False(TextKeyValues.TryParse(Bytes(new string('K', 64) + "=v\0"), out _, out TextParseStatus status));
        Assert.Equal(TextParseStatus.KeyTooLong, status);
    }

    [Fact]
    public void Parse_KeyWithSpace_FailsInvalidKey()
    {
        Assert.False(TextKeyValues.TryParse(Bytes("Bad Key=v\0"), out _, out TextParseStatus status));
        Assert.Equal(TextParseStatus.InvalidKey, status);
    }

    [Fact]
    public void Parse_OversizedValue_FailsValueTooLong()
    {
        Assert.True(TextKeyValues.TryParse(Bytes("A=" + new string('v', 8192) + "\0"), out _, out _));
        Assert.False(TextKeyValues.TryParse(Bytes("A=" + new string('v', 8193) + "\0"), out _, out TextParseStatus status));
        Assert.Equal(TextParseStatus.ValueTooLong, status);
    }

    [Fact]
    public void Parse_InvalidUtf8_Fails()
    {
        byte[] data = [(byte)'A', (byte)'=', 0xC3, 0x28, 0];
        Assert.False(TextKeyValues.TryParse(data, out _, out TextParseStatus status));
        Assert.Equal(TextParseStatus.InvalidUtf8, status);
    }

    [Fact]
    public void Encode_RoundTrips()
    {
        var pairs = new TextKeyValues();
        pairs.Add("TargetName", "iqn.2024-01.net.scsi:disk1");
        pairs.Add("TargetAddress", "[::1]:3260,1");
        pairs.Add("TargetAddress", "10.0.0.1:3260,1");
        byte[] bytes = pairs.ToArray();
        Assert.Equal(pairs.GetEncodedLength(), bytes.Length);
        Assert.Equal("TargetName=iqn.2024-01.net.scsi:disk1\0TargetAddress=[::1]:3260,1\0TargetAddress=10.0.0.1:3260,1\0", Encoding.UTF8.GetString(bytes));

        var writer = new ArrayBufferWriter<byte>(1);
        pairs.Encode(writer);
        Assert.Equal(bytes, writer.WrittenSpan.ToArray());

        Assert.True(TextKeyValues.TryParse(bytes, out TextKeyValues back, out _, allowDuplicateKeys: true));
        Assert.Equal(pairs, back);
    }

    [Fact]
    public void Add_InvalidKeyOrNulInValue_Throws()
    {
        var pairs = new TextKeyValues();
        Assert.Throws<ArgumentException>(() => pairs.Add("", "x"));
        Assert.Throws<ArgumentException>(() => pairs.Add("A=B", "x"));
        Assert.Throws<ArgumentException>(() => pairs.Add("A", "x\0y"));
    }

    [Fact]
    public void Accumulator_ContinueBit_JoinsPairSplitAcrossPdus()
    {
        var accumulator = new TextAccumulator();
        Assert.Equal(TextAccumulateResult.NeedMore, accumulator.Append(Bytes("InitiatorName=iq"), continueBit: true));
        Assert.True(accumulator.IsPending);
        Assert.Equal(TextAccumulateResult.Complete, accumulator.Append(Bytes("n.x\0"), continueBit: false));
        Assert.True(TextKeyValues.TryParse(accumulator.Take(), out TextKeyValues pairs, out _));
        Assert.Equal("iqn.x", pairs[0].Value);
        Assert.Equal(0, accumulator.Length);
    }

    [Fact]
    public void Accumulator_Over64KiB_ReportsTooLarge()
    {
        var accumulator = new TextAccumulator();
        byte[] chunk = new byte[8192];
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(TextAccumulateResult.NeedMore, accumulator.Append(chunk, continueBit: true));
        }

        Assert.Equal(TextAccumulateResult.TooLarge, accumulator.Append([1], continueBit: false));
        Assert.Equal(0, accumulator.Length);
    }
}
