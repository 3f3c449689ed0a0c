using NetScsi.Cli.Configuration;
using NetScsi.Cli.Parsing;

namespace NetScsi.Functional.Tests.Cli;

public sealed class LunSpecParserTests
{
    [Fact]
    public void LunSpec_FileWithAllOptions_Parses()
    {
        Assert.True(LunSpecParser.TryParse("file:/var/lib/a.img,size=2G,block-size=4096,readonly,removable,lun=7", out var lun, out var error), error);
        Assert.Equal(LunKind.File, lun!.Kind);
        Assert.Equal("/var/lib/a.img", lun.Path);
        Assert.Equal(2L << 30, lun.SizeBytes);
        Assert.Equal(4096, lun.BlockSize);
        Assert.True(lun.ReadOnly);
        Assert.True(lun.Removable);
        Assert.Equal(7, lun.Number);
    }

    [Fact]
    public void LunSpec_FileWithoutOptions_HasDefaults()
    {
        Assert.True(LunSpecParser.TryParse("file:disk.img", out var lun, out _));
        Assert.Null(lun!.SizeBytes);
        Assert.Equal(512, lun.BlockSize);
        Assert.False(lun.ReadOnly);
        Assert.Null(lun.Number);
    }

    [Fact]
    public void LunSpec_FileWithWindowsPath_KeepsDriveColon()
    {
        Assert.True(LunSpecParser.TryParse(@"file:C:\disks\a.img,size=1G", out var lun, out _));
        Assert.Equal(@"C:\disks\a.img", lun!.Path);
    }

    [Fact]
    public void LunSpec_Memory_ParsesSize()
    {
        Assert.True(LunSpecParser.TryParse("memory:64M,block-size=4096", out var lun, out _));
        Assert.Equal(LunKind.Memory, lun!.Kind);
        Assert.Equal(64L << 20, lun.SizeBytes);
        Assert.Equal(4096, lun.BlockSize);
    }

    [Fact]
    public void LunSpec_FileWithUnknownOption_ReportsOption()
    {
        Assert.False(LunSpecParser.TryParse("file:a.img,sise=1G", out _, out var error));
        Assert.Contains("unknown option 'sise'", error);
        Assert.Contains("'file:a.img,sise=1G'", error);
    }

    [Fact]
    public void LunSpec_MemoryWithSizeOption_ReportsOption()
    {
        Assert.False(LunSpecParser.TryParse("memory:64M,size=1G", out _, out var error));
        Assert.Contains("unknown option 'size' for a memory LUN", error);
    }

    [Theory]
    [InlineData("disk.img", "expected file:PATH")]
    [InlineData("tape:x", "unknown kind 'tape'")]
    [InlineData("file:", "missing file path")]
    [InlineData("memory:lots", "invalid size 'lots'")]
    [InlineData("file:a,size=1Q", "unknown unit 'Q'")]
    [InlineData("file:a,size", "option 'size' needs a value")]
    [InlineData("file:a,block-size=1024", "block size '1024' must be 512 or 4096")]
    [InlineData("file:a,readonly=yes", "option 'readonly' takes no value")]
    [InlineData("file:a,readonly,readonly", "option 'readonly' given twice")]
    [InlineData("file:a,lun=16384", "LUN number '16384'")]
    [InlineData("file:a,,readonly", "empty option")]
    public void LunSpec_Malformed_ReportsCulprit(string spec, string fragment)
    {
        Assert.False(LunSpecParser.TryParse(spec, out _, out var error));
        Assert.Contains(fragment, error);
    }
}
