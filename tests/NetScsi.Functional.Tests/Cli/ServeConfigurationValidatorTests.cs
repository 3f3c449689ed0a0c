using System.Net;
using NetScsi.Cli.Configuration;
using NetScsi.Transport.Tcp;

namespace NetScsi.Functional.Tests.Cli;

public sealed class ServeConfigurationValidatorTests
{
    private static ServeConfiguration Config(params TargetConfig[] targets)
    {
        var config = new ServeConfiguration();
        config.Portals.Add(new TcpPortal(new IPEndPoint(IPAddress.Loopback, 3260)));
        config.Targets.AddRange(targets);
        return config;
    }

    private static TargetConfig Target(string iqn, params LunConfig[] luns)
    {
        var target = new TargetConfig { Iqn = iqn };
        target.Luns.AddRange(luns);
        return target;
    }

    private static LunConfig Memory(int number, long size = 1 << 20, int blockSize = 512) =>
        new() { Number = number, Kind = LunKind.Memory, SizeBytes = size, BlockSize = blockSize };

    private static LunConfig FileLun(int number, string path) => new() { Number = number, Kind = LunKind.File, Path = path, SizeBytes = 1 << 20 };

    [Fact]
    public void Validate_DuplicateLunNumbers_ReportsNumber()
    {
        var result = ServeConfigurationValidator.Validate(Config(Target("iqn.2026-11.org.a", Memory(3), Memory(3))));
        Assert.Contains("target 'iqn.2026-11.org.a': LUN 3 is defined twice", result.Errors);
    }

    [Fact]
    public void Validate_DuplicateIqns_ReportsIqn()
    {
        var result = ServeConfigurationValidator.Validate(Config(Target("iqn.2026-11.org.a", Memory(0)), Target("iqn.2026-11.org.a", Memory(0))));
        Assert.Contains("target 'iqn.2026-11.org.a' is defined twice", result.Errors);
    }

    [Fact]
    public void Validate_SameFileInTwoLuns_ReportsFile()
    {
        var result = ServeConfigurationValidator.Validate(Config(
            Target("iqn.2026-11.org.a", FileLun(0, "x.img")),
            Target("iqn.2026-11.org.b", FileLun(0, "./x.img"))));
        Assert.Contains(result.Errors, e => e.Contains("file './x.img' is already used by target 'iqn.2026-11.org.a'"));
    }

    [Fact]
    public void Validate_SizeNotBlockMultiple_ReportsSizeAndBlockSize()
    {
        var result = ServeConfigurationValidator.Validate(Config(Target("iqn.2026-11.org.a", Memory(0, 1000), Memory(1, 4096 + 512, 4096))));
        Assert.Contains(result.Errors, e => e.Contains("size 1000 bytes is not a multiple of the block size 512"));
        Assert.Contains(result.Errors, e => e.Contains("size 4608 bytes is not a multiple of the block size 4096"));
    }

    [Fact]
    public void Validate_ZeroSize_IsError()
    {
        var result = ServeConfigurationValidator.Validate(Config(Target("iqn.2026-11.org.a", Memory(0, 0))));
        Assert.Contains(result.Errors, e => e.Contains("size must be greater than zero"));
    }

    [Fact]
    public void Validate_BadIqn_IsError()
    {
        var result = ServeConfigurationValidator.Validate(Config(Target("iqn.2026-11.org.A", Memory(0))));
        Assert.Contains(result.Errors, e => e.Contains("must be lowercase"));
    }

    [Fact]
    public void Validate_QueueDepthOutOfRange_IsError()
    {
        var config = Config(Target("iqn.2026-11.org.a", Memory(0)));
        config.QueueDepth = 0;
        Assert.Contains("queue depth 0 is out of range 1..4096", ServeConfigurationValidator.Validate(config).Errors);
    }

    [Fact]
    public void Validate_MaxConnectionsOutOfRange_IsError()
    {
        var config = Config(Target("iqn.2026-11.org.a", Memory(0)));
        config.MaxConnections = 0;
        Assert.Contains("max connections 0 is out of range 1..16", ServeConfigurationValidator.Validate(config).Errors);
    }

    [Fact]
    public void Validate_DuplicatePortal_IsError()
    {
        var config = Config(Target("iqn.2026-11.org.a", Memory(0)));
        config.Portals.Add(new TcpPortal(new IPEndPoint(IPAddress.Loopback, 3260)));
        Assert.Contains("portal 127.0.0.1:3260 is listed twice", ServeConfigurationValidator.Validate(config).Errors);
    }

    [Fact]
    public void Validate_MutualChapWithoutChap_IsError()
    {
        var target = Target("iqn.2026-11.org.a", Memory(0));
        target.MutualChap = new ChapConfig("t", "0123456789ab");
        Assert.Contains(ServeConfigurationValidator.Validate(Config(target)).Errors, e => e.Contains("mutual CHAP needs one-way CHAP"));
    }

    [Fact]
    public void Validate_MutualSecretSameAsChapSecret_IsError()
    {
        var target = Target("iqn.2026-11.org.a", Memory(0));
        target.Chap = new ChapConfig("i", "0123456789ab");
        target.MutualChap = new ChapConfig("t", "0123456789ab");
        Assert.Contains(ServeConfigurationValidator.Validate(Config(target)).Errors, e => e.Contains("must differ"));
    }

    [Fact]
    public void Validate_ShortChapSecret_WarnsOnly()
    {
        var target = Target("iqn.2026-11.org.a", Memory(0));
        target.Chap = new ChapConfig("i", "short");
        var result = ServeConfigurationValidator.Validate(Config(target));
        Assert.True(result.IsValid);
        Assert.Contains(result.Warnings, w => w.Contains("5 bytes"));
    }

    [Fact]
    public void Validate_AclReferencingMissingLun_IsError()
    {
        var target = Target("iqn.2026-11.org.a", Memory(0));
        target.Acls.Add(new AclConfig { InitiatorName = "iqn.2026-11.org.i", Luns = [0, 9] });
        Assert.Contains(ServeConfigurationValidator.Validate(Config(target)).Errors, e => e.Contains("refers to LUN 9"));
    }

    [Fact]
    public void Validate_OpenTargetOnWildcard_Warns()
    {
        var config = Config(Target("iqn.2026-11.org.a", Memory(0)));
        config.Portals[0] = new TcpPortal(new IPEndPoint(IPAddress.Any, 3260));
        Assert.Contains(ServeConfigurationValidator.Validate(config).Warnings, w => w.Contains("neither CHAP nor an ACL"));
    }
}
