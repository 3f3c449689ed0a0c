using NetScsi.Cli.Parsing;

namespace NetScsi.Functional.Tests.Cli;

public sealed class ByteSizeParserTests
{
    [Theory]
    [InlineData("512", 512L)]
    [InlineData("4096B", 4096L)]
    [InlineData("1K", 1024L)]
    [InlineData("1KB", 1024L)]
    [InlineData("1KiB", 1024L)]
    [InlineData("64M", 64L << 20)]
    [InlineData("64MiB", 64L << 20)]
    [InlineData("1G", 1L << 30)]
    [InlineData("1g", 1L << 30)]
    [InlineData("2GiB", 2L << 30)]
    [InlineData("3T", 3L << 40)]
    [InlineData("1 GiB", 1L << 30)]
    public void Size_WithUnit_ParsesAsBinary(string text, long expected)
    {
        Assert.True(ByteSizeParser.TryParse(text, out var bytes, out var error), error);
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("", "invalid size ''")]
    [InlineData("G", "invalid size 'G'")]
    [InlineData("1Q", "unknown unit 'Q'")]
    [InlineData("1GX", "unknown unit 'GX'")]
    [InlineData("-1G", "invalid size '-1G'")]
    [InlineData("1.5G", "unknown unit '.5G'")]
    [InlineData("99999999999T", "too large")]
    public void Size_Malformed_ReportsValue(string text, string expectedFragment)
    {
        Assert.False(ByteSizeParser.TryParse(text, out _, out var error));
        Assert.Contains(expectedFragment, error);
    }

    [Theory]
    [InlineData(1L << 30, "1 GiB")]
    [InlineData(1536L, "1536 B")]
    [InlineData(64L << 20, "64 MiB")]
    public void Format_UsesLargestExactUnit(long bytes, string expected) =>
        Assert.Equal(expected, ByteSizeParser.Format(bytes));
}
