using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using NetScsi.Cli.Configuration;
using NetScsi.Transport.Tcp;

namespace NetScsi.Functional.Tests.Cli;

public sealed class ServeConfigurationBuilderTests
{
    private static ServeConfiguration File(string json) => ConfigFileLoader.Parse(Encoding.UTF8.GetBytes(json), "t.json");

    private static LunConfig Memory(int? number = null) => new() { Kind = LunKind.Memory, SizeBytes = 1 << 20, Number = number };

    [Fact]
    public void Defaults_NoFlags_LoopbackDefaultTargetAndFileLun()
    {
        var config = ServeConfigurationBuilder.Build(null, new ServeFlags());

        Assert.Equal([new TcpPortal(new IPEndPoint(IPAddress.Loopback, 3260))], config.Portals);
        var target = Assert.Single(config.Targets);
        Assert.Equal("iqn.2026-11.org.netscsi:default", target.Iqn);
        var lun = Assert.Single(target.Luns);
        Assert.Equal((0, LunKind.File, "./netscsi-data/lun0.img", 1L << 30, 512), (lun.Number, lun.Kind, lun.Path, lun.SizeBytes, lun.BlockSize));
        Assert.Equal(128, config.QueueDepth);
        Assert.Equal(LogLevel.Information, config.LogLevel);
        Assert.True(ServeConfigurationValidator.Validate(config).IsValid);
    }

    [Fact]
    public void Merge_DiscoveryChapFlag_ReplacesTheFilesDiscoveryChap()
    {
        var fromFile = File("""
            { "discoveryChap": { "user": "file-user", "secret": "file-secret-123" },
              "discoveryMutualChap": { "user": "portal", "secret": "portal-secret-1" } }
            """);
        var config = ServeConfigurationBuilder.Build(fromFile, new ServeFlags { DiscoveryChap = new ChapConfig("flag-user", "flag-secret-123") });

        Assert.Equal(new ChapConfig("flag-user", "flag-secret-123"), config.DiscoveryChap);
        Assert.Equal(new ChapConfig("portal", "portal-secret-1"), config.DiscoveryMutualChap);
        Assert.True(ServeConfigurationValidator.Validate(config).IsValid);
    }

    [Fact]
    public void Validate_DiscoveryMutualChapWithoutDiscoveryChap_IsAnError()
    {
        var config = ServeConfigurationBuilder.Build(null, new ServeFlags { DiscoveryMutualChap = new ChapConfig("portal", "portal-secret-1") });

        var error = Assert.Single(ServeConfigurationValidator.Validate(config).Errors);
        Assert.Contains("--discovery-chap", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DiscoveryMutualSecretEqualToDiscoverySecret_IsAnError()
    {
        var config = ServeConfigurationBuilder.Build(null, new ServeFlags
        {
            DiscoveryChap = new ChapConfig("seeker", "same-secret-123"),
            DiscoveryMutualChap = new ChapConfig("portal", "same-secret-123"),
        });

        var error = Assert.Single(ServeConfigurationValidator.Validate(config).Errors);
        Assert.Contains("RFC 7143 §12.1.3", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Flags_LunsGiven_ReplaceDefaultLunAndNumberInOrder()
    {
        var config = ServeConfigurationBuilder.Build(null, new ServeFlags { Luns = [Memory(), Memory(0), Memory()] });
        Assert.Equal([1, 0, 2], config.Targets[0].Luns.Select(l => l.Number!.Value));
    }

    [Fact]
    public void Merge_ListenFlag_ReplacesFilePortals()
    {
        var config = ServeConfigurationBuilder.Build(
            File("""{"portals":["10.0.0.1:3260","10.0.0.2:3260"]}"""),
            new ServeFlags { Listen = [new TcpPortal(new IPEndPoint(IPAddress.Loopback, 4000))] });
        Assert.Equal([new TcpPortal(new IPEndPoint(IPAddress.Loopback, 4000))], config.Portals);
    }

    [Fact]
    public void Merge_NoListenFlag_KeepsFilePortals()
    {
        var config = ServeConfigurationBuilder.Build(File("""{"portals":["10.0.0.1"]}"""), new ServeFlags());
        Assert.Equal([new TcpPortal(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 3260))], config.Portals);
    }

    [Fact]
    public void Merge_ScalarFlags_OverrideFile()
    {
        var config = ServeConfigurationBuilder.Build(
            File("""{"queueDepth":16,"maxConnections":2,"logLevel":"error"}"""),
            new ServeFlags { QueueDepth = 32, MaxConnections = 8, LogLevel = LogLevel.Trace });
        Assert.Equal((32, 8, LogLevel.Trace), (config.QueueDepth, config.MaxConnections, config.LogLevel));
    }

    [Fact]
    public void Merge_LunFlagWithSingleFileTarget_AddsAfterFileLuns()
    {
        var config = ServeConfigurationBuilder.Build(
            File("""{"targets":[{"iqn":"iqn.2026-11.org.a","luns":["memory:1M","memory:1M,lun=1"]}]}"""),
            new ServeFlags { Luns = [Memory()], Chap = new ChapConfig("u", "0123456789ab") });
        var target = Assert.Single(config.Targets);
        Assert.Equal([0, 1, 2], target.Luns.Select(l => l.Number!.Value));
        Assert.Equal("u", target.Chap!.User);
    }

    [Fact]
    public void Merge_IqnFlagNamingFileTarget_ModifiesThatTarget()
    {
        var config = ServeConfigurationBuilder.Build(
            File("""{"targets":[{"iqn":"iqn.2026-11.org.a","luns":["memory:1M"]},{"iqn":"iqn.2026-11.org.b","alias":"old","luns":["memory:1M"]}]}"""),
            new ServeFlags { Iqn = "iqn.2026-11.org.b", Alias = "new", Luns = [Memory()] });
        Assert.Equal(2, config.Targets.Count);
        Assert.Single(config.Targets[0].Luns);
        Assert.Equal(("new", 2), (config.Targets[1].Alias, config.Targets[1].Luns.Count));
    }

    [Fact]
    public void Merge_IqnFlagNamingNewTarget_AddsTargetWithDefaultLun()
    {
        var config = ServeConfigurationBuilder.Build(
            File("""{"targets":[{"iqn":"iqn.2026-11.org.a","luns":["memory:1M"]}]}"""),
            new ServeFlags { Iqn = "iqn.2026-11.org.b" });
        Assert.Equal(2, config.Targets.Count);
        Assert.Equal("./netscsi-data/lun0.img", Assert.Single(config.Targets[1].Luns).Path);
    }

    [Fact]
    public void Merge_TargetFlagsWithSeveralFileTargets_AsksForIqn()
    {
        var e = Assert.Throws<CliException>(() => ServeConfigurationBuilder.Build(
            File("""{"targets":[{"iqn":"iqn.2026-11.org.a","luns":["memory:1M"]},{"iqn":"iqn.2026-11.org.b","luns":["memory:1M"]}]}"""),
            new ServeFlags { Luns = [Memory()] }));
        Assert.Equal(2, e.ExitCode);
        Assert.Contains("add --iqn", e.Message);
    }

    [Fact]
    public void Merge_FileTargetWithoutLuns_StaysEmptyAndFailsValidation()
    {
        var config = ServeConfigurationBuilder.Build(File("""{"targets":[{"iqn":"iqn.2026-11.org.a"}]}"""), new ServeFlags());
        Assert.Empty(config.Targets[0].Luns);
        Assert.Contains("target 'iqn.2026-11.org.a' has no LUNs", ServeConfigurationValidator.Validate(config).Errors);
    }

    [Fact]
    public void Merge_FileWithoutTargets_GetsDefaultTarget()
    {
        var config = ServeConfigurationBuilder.Build(File("""{"queueDepth":8}"""), new ServeFlags());
        Assert.Equal("iqn.2026-11.org.netscsi:default", Assert.Single(config.Targets).Iqn);
        Assert.Single(config.Targets[0].Luns);
    }

    [Fact]
    public void Merge_AclFlagForSameInitiator_ReplacesFileAcl()
    {
        var config = ServeConfigurationBuilder.Build(
            File("""{"targets":[{"iqn":"iqn.2026-11.org.a","luns":["memory:1M"],"acls":[{"initiator":"iqn.2026-11.org.i","luns":[0]}]}]}"""),
            new ServeFlags { Acls = [new AclConfig { InitiatorName = "iqn.2026-11.org.i" }] });
        Assert.Null(Assert.Single(config.Targets[0].Acls).Luns);
    }
}
