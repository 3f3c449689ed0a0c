using NetScsi.Iscsi.Text;

namespace NetScsi.Iscsi.Tests.Text;

public sealed class TextValuesTests
{
    [Theory]
    [InlineData("0", 0UL)]
    [InlineData("65536", 65536UL)]
    [InlineData("0x10", 16UL)]
    [InlineData("0XfF", 255UL)]
    public void Number_DecimalAndHex_Parse(string text, ulong expected)
    {
        Assert.True(TextValues.TryParseNumber(text, out ulong value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1e3")]
    [InlineData("0x")]
    [InlineData("99999999999999999999999")]
    public void Number_Invalid_Rejected(string text) => Assert.False(TextValues.TryParseNumber(text, out _));

    [Fact]
    public void Binary_HexAndBase64_DecodeToSameBytes()
    {
        Assert.True(TextValues.TryParseBinary("0x00ff10", out byte[] hex));
        Assert.True(TextValues.TryParseBinary("0bAP8Q", out byte[] b64));
        Assert.Equal(new byte[] { 0x00, 0xFF, 0x10 }, hex);
        Assert.Equal(hex, b64);
    }

    [Fact]
    public void Binary_OddHexDigits_TakenWithLeadingZero()
    {
        Assert.True(TextValues.TryParseBinary("0xabc", out byte[] value));
        Assert.Equal(new byte[] { 0x0A, 0xBC }, value);
    }

    [Theory]
    [InlineData("abcd")]
    [InlineData("0x")]
    [InlineData("0xzz")]
    [InlineData("0b!!")]
    public void Binary_Invalid_Rejected(string text) => Assert.False(TextValues.TryParseBinary(text, out _));

    [Theory]
    [InlineData("yes")]
    [InlineData("YES")]
    [InlineData("1")]
    public void Boolean_OnlyExactYesNo(string text) => Assert.False(TextValues.TryParseBoolean(text, out _));

    [Fact]
    public void List_EmptyItem_Rejected() => Assert.False(TextValues.TrySplitList("CHAP,,None", out _));
}
