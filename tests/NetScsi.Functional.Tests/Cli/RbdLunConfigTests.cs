using System.Text;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Parsing;

namespace NetScsi.Functional.Tests.Cli;

/// <summary>rbd:POOL/IMAGE LUNs on the command line and in the config file.</summary>
public sealed class RbdLunConfigTests
{
    [Fact]
    public void LunSpec_RbdWithAllOptions_Parses()
    {
        Assert.True(LunSpecParser.TryParse("rbd:volumes/vm1,conf=/etc/ceph/c.conf,id=client.iscsi,readonly,block-size=4096,lun=3", out var lun, out var error), error);

        Assert.Equal(LunKind.Rbd, lun!.Kind);
        Assert.Equal("volumes", lun.RbdPool);
        Assert.Equal("vm1", lun.RbdImage);
        Assert.Equal("/etc/ceph/c.conf", lun.RbdConfigPath);
        Assert.Equal("iscsi", lun.RbdClientId);
        Assert.True(lun.ReadOnly);
        Assert.Equal(4096, lun.BlockSize);
        Assert.Equal(3, lun.Number);
        Assert.Null(lun.SizeBytes);
    }

    [Fact]
    public void LunSpec_RbdWithoutOptions_LeavesConfAndIdToLibrados()
    {
        Assert.True(LunSpecParser.TryParse("rbd:rbd/lun0", out var lun, out _));

        Assert.Null(lun!.RbdConfigPath);
        Assert.Null(lun.RbdClientId);
        Assert.False(lun.ReadOnly);
    }

    [Theory]
    [InlineData("rbd:lun0", "expected rbd:POOL/IMAGE")]
    [InlineData("rbd:/lun0", "expected rbd:POOL/IMAGE")]
    [InlineData("rbd:rbd/", "expected rbd:POOL/IMAGE")]
    [InlineData("rbd:a/b/c", "expected rbd:POOL/IMAGE")]
    [InlineData("rbd:rbd/lun0,size=1G", "unknown option 'size' for a rbd LUN")]
    [InlineData("rbd:rbd/lun0,conf", "option 'conf' needs a value")]
    [InlineData("file:a.img,conf=/x", "unknown option 'conf' for a file LUN")]
    public void LunSpec_BadRbd_SaysWhy(string spec, string expected)
    {
        Assert.False(LunSpecParser.TryParse(spec, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_RbdObject_Parses()
    {
        ServeConfiguration config = Parse("""
            { "targets": [ { "iqn": "iqn.2026-12.org.example:ceph", "luns": [
                { "lun": 0, "rbd": "volumes/vm1", "conf": "/etc/ceph/ceph.conf", "id": "iscsi", "readOnly": true },
                "rbd:volumes/vm2" ] } ] }
            """);

        LunConfig first = config.Targets[0].Luns[0];
        Assert.Equal(LunKind.Rbd, first.Kind);
        Assert.Equal(("volumes", "vm1", "/etc/ceph/ceph.conf", "iscsi", true), (first.RbdPool, first.RbdImage, first.RbdConfigPath, first.RbdClientId, first.ReadOnly));
        Assert.Equal("vm2", config.Targets[0].Luns[1].RbdImage);
    }

    [Theory]
    [InlineData("""{ "rbd": "noslash" }""", "'rbd' must be a string \"POOL/IMAGE\"")]
    [InlineData("""{ "rbd": "p/i", "size": "1G" }""", "an rbd LUN takes its size from the image")]
    [InlineData("""{ "rbd": "p/i", "memory": "1G" }""", "more than one of 'file', 'memory' and 'rbd'")]
    [InlineData("""{ "file": "a.img", "conf": "/etc/ceph/ceph.conf" }""", "'conf' and 'id' are for rbd LUNs")]
    public void Config_BadRbdObject_SaysWhy(string lunJson, string expected)
    {
        var e = Assert.Throws<CliException>(() => Parse($$"""{ "targets": [ { "iqn": "iqn.2026-12.org.example:ceph", "luns": [ {{lunJson}} ] } ] }"""));

        Assert.Equal(2, e.ExitCode);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SameImageTwice_IsRefused()
    {
        ServeConfiguration config = Parse("""
            { "targets": [ { "iqn": "iqn.2026-12.org.example:ceph", "luns": [ "rbd:volumes/vm1", "rbd:volumes/vm1,lun=1" ] } ] }
            """);

        ValidationResult result = ServeConfigurationValidator.Validate(config);

        Assert.Contains(result.Errors, e => e.Contains("RBD image volumes/vm1 is already used", StringComparison.Ordinal));
    }

    private static ServeConfiguration Parse(string json) => ConfigFileLoader.Parse(Encoding.UTF8.GetBytes(json), "t.json");
}
