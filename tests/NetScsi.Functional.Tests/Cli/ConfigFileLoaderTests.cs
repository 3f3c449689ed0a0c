using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using NetScsi.Cli.Configuration;
using NetScsi.Transport.Tcp;

namespace NetScsi.Functional.Tests.Cli;

public sealed class ConfigFileLoaderTests
{
    private static ServeConfiguration Parse(string json) => ConfigFileLoader.Parse(Encoding.UTF8.GetBytes(json), "t.json");

    private static string ParseError(string json) =>
        Assert.Throws<CliException>(() => Parse(json)) is { ExitCode: 2 } e ? e.Message : throw new InvalidOperationException("exit code");

    [Fact]
    public void AoeSlotSettings_MacMaskAndConfigString_AreReadFromTheLunObject()
    {
        var lun = Parse("""
            { "targets": [ { "iqn": "iqn.2026-12.org.example:aoe", "luns": [
              { "memory": "1M", "slot": 3, "macMask": ["02:00:5e:10:00:01", "02-00-5E-10-00-02", "02:00:5e:10:00:01"], "configString": "rack 4" } ] } ] }
            """).Targets[0].Luns[0];
        Assert.Equal(3, lun.AoeSlot);
        Assert.Equal(["02:00:5e:10:00:01", "02:00:5e:10:00:02"], lun.AoeMacMask!.Select(m => m.ToString()));
        Assert.Equal("rack 4", lun.AoeConfigString);
    }

    [Theory]
    [InlineData("\"macMask\": \"02:00:5e:10:00:01\"", "'macMask' (the AoE MAC Mask List) must be an array of MAC addresses")]
    [InlineData("\"macMask\": [\"02:00:5e:10:00\"]", "('02:00:5e:10:00' is not one)")]
    [InlineData("\"macMask\": [7]", "must be an array of MAC addresses")]
    [InlineData("\"configString\": 5", "'configString' (the AoE config string) must be a string of at most 1024 bytes")]
    public void AoeSlotSettings_Malformed_AreOneClearError(string property, string fragment)
    {
        var message = ParseError($$"""{ "targets": [ { "iqn": "iqn.2026-12.org.example:aoe", "luns": [ { "memory": "1M", {{property}} } ] } ] }""");
        Assert.Contains(fragment, message);
    }

    [Fact]
    public void AoeConfigString_LongerThan1024Bytes_IsRefused()
    {
        var message = ParseError($$"""{ "targets": [ { "iqn": "iqn.2026-12.org.example:aoe", "luns": [ { "memory": "1M", "configString": "{{new string('x', 1025)}}" } ] } ] }""");
        Assert.Contains("at most 1024 bytes", message);
    }

    [Fact]
    public void Config_FullExample_Parses()
    {
        var config = Parse("""
            {
              // comments are allowed
              "portals": ["127.0.0.1:3260", "[::1]:3261"],
              "queueDepth": 64,
              "maxConnections": 2,
              "logLevel": "debug",
              "targets": [
                {
                  "iqn": "iqn.2026-11.org.example:disk1",
                  "alias": "Disk one",
                  "luns": [
                    "file:./a.img,size=1G",
                    { "lun": 5, "file": "./b.img", "size": 1048576, "blockSize": 4096, "readOnly": true, "removable": true },
                    { "memory": "64M" },
                  ],
                  "chap": { "user": "u", "secret": "0123456789ab" },
                  "mutualChap": { "user": "t", "secret": "ba9876543210" },
                  "acls": [ { "initiator": "iqn.1993-08.org.debian:01:abc", "luns": [0, 5], "chap": { "user": "x", "secret": "y" } } ]
                }
              ]
            }
            """);

        Assert.Equal([new TcpPortal(new IPEndPoint(IPAddress.Loopback, 3260)), new TcpPortal(new IPEndPoint(IPAddress.IPv6Loopback, 3261))], config.Portals);
        Assert.Equal(64, config.QueueDepth);
        Assert.Equal(2, config.MaxConnections);
        Assert.Equal(LogLevel.Debug, config.LogLevel);
        var target = Assert.Single(config.Targets);
        Assert.Equal("iqn.2026-11.org.example:disk1", target.Iqn);
        Assert.Equal("Disk one", target.Alias);
        Assert.True(target.DefinedInFile);
        Assert.Equal(3, target.Luns.Count);
        Assert.Equal((LunKind.File, "./a.img", 1L << 30), (target.Luns[0].Kind, target.Luns[0].Path, target.Luns[0].SizeBytes));
        var b = target.Luns[1];
        Assert.Equal((5, "./b.img", 1048576L, 4096, true, true), (b.Number, b.Path, b.SizeBytes, b.BlockSize, b.ReadOnly, b.Removable));
        Assert.Equal((LunKind.Memory, 64L << 20), (target.Luns[2].Kind, target.Luns[2].SizeBytes));
        Assert.Equal(new ChapConfig("u", "0123456789ab"), target.Chap);
        Assert.Equal(new ChapConfig("t", "ba9876543210"), target.MutualChap);
        var acl = Assert.Single(target.Acls);
        Assert.Equal(("iqn.1993-08.org.debian:01:abc", new ChapConfig("x", "y")), (acl.InitiatorName, acl.Chap));
        Assert.Equal([0, 5], acl.Luns!);
    }

    [Fact]
    public void Config_Limits_SetTheOutputStallTimeout_AndRefuseANegativeOne()
    {
        var config = Parse("""{ "limits": { "maxSessionsPerTarget": 10, "outputStallTimeoutSeconds": 5 } }""");
        Assert.Equal(10, config.Limits.MaxSessionsPerTarget);
        Assert.Equal(TimeSpan.FromSeconds(5), config.Limits.OutputStallTimeout);
        Assert.Equal(TimeSpan.Zero, Parse("""{ "limits": { "outputStallTimeoutSeconds": 0 } }""").Limits.OutputStallTimeout);
        Assert.Contains("limits.outputStallTimeoutSeconds", ParseError("""{ "limits": { "outputStallTimeoutSeconds": -1 } }"""));
    }

    [Fact]
    public void Config_Empty_GivesDefaults()
    {
        var config = Parse("{}");
        Assert.Empty(config.Portals);
        Assert.Empty(config.Targets);
        Assert.Equal(ServeConfiguration.DefaultQueueDepth, config.QueueDepth);
    }

    [Fact]
    public void Config_UnknownTopLevelProperty_ReportsNameAndLine()
    {
        var message = ParseError("{\n  \"portals\": [],\n  \"queueDeth\": 5\n}");
        Assert.StartsWith("t.json:3:", message);
        Assert.Contains("unknown property 'queueDeth'", message);
    }

    [Fact]
    public void Config_UnknownTargetProperty_ReportsNameAndPath()
    {
        var message = ParseError("""{"targets":[{"iqn":"iqn.2026-11.org.a","lunz":[]}]}""");
        Assert.Contains("unknown property 'lunz'", message);
        Assert.Contains("targets[0]", message);
    }

    [Fact]
    public void Config_UnknownLunProperty_ReportsNameLineAndPath()
    {
        var message = ParseError("{\"targets\":[{\"iqn\":\"iqn.2026-11.org.a\",\n\"luns\":[{\"file\":\"a\",\n \"redOnly\":true}]}]}");
        Assert.StartsWith("t.json:3:", message);
        Assert.Contains("unknown property 'redOnly' in a LUN", message);
        Assert.Contains("(at targets[0].luns[0])", message);
    }

    [Theory]
    [InlineData("""{"targets":[{"iqn":"iqn.2026-11.org.a","luns":[{"memory":"64Q"}]}]}""", "'memory': invalid size '64Q'")]
    [InlineData("""{"targets":[{"iqn":"iqn.2026-11.org.a","luns":[{"file":"a","size":"big"}]}]}""", "'size': invalid size 'big'")]
    [InlineData("""{"targets":[{"iqn":"iqn.2026-11.org.a","luns":[{"file":"a","size":-5}]}]}""", "'size' must be a non-negative")]
    [InlineData("""{"targets":[{"iqn":"iqn.2026-11.org.a","luns":["file:a,bogus"]}]}""", "unknown option 'bogus'")]
    [InlineData("""{"targets":[{"iqn":"iqn.2026-11.org.a","luns":[{"file":"a","memory":"1M"}]}]}""", "both 'file' and 'memory'")]
    [InlineData("""{"targets":[{"iqn":"iqn.2026-11.org.a","luns":[{"size":"1M"}]}]}""", "needs 'file' (a path) or 'memory'")]
    [InlineData("""{"targets":[{"iqn":"iqn.2026-11.org.a","luns":[{"memory":"1M","blockSize":1024}]}]}""", "'blockSize' must be 512 or 4096")]
    [InlineData("""{"targets":[{"iqn":"iqn.2026-11.org.a","luns":[42]}]}""", "a LUN must be a spec string")]
    public void Config_BadLun_ReportsProblem(string json, string fragment)
    {
        var message = ParseError(json);
        Assert.Contains(fragment, message);
        Assert.Contains("targets[0].luns[0]", message);
    }

    [Fact]
    public void Config_BadPortal_ReportsValueAndPath()
    {
        var message = ParseError("""{"portals":["127.0.0.1:99999"]}""");
        Assert.Contains("port '99999'", message);
        Assert.Contains("portals[0]", message);
    }

    [Fact]
    public void Config_MissingIqn_ReportsTarget()
    {
        var message = ParseError("""{"targets":[{"luns":["memory:1M"]}]}""");
        Assert.Contains("targets[0]: missing required property 'iqn'", message);
    }

    [Fact]
    public void Config_ChapWithoutSecret_ReportsPath()
    {
        var message = ParseError("""{"targets":[{"iqn":"iqn.2026-11.org.a","chap":{"user":"u"}}]}""");
        Assert.Contains("targets[0].chap: missing required property 'secret'", message);
    }

    [Fact]
    public void Config_AclWithoutInitiator_ReportsPath()
    {
        var message = ParseError("""{"targets":[{"iqn":"iqn.2026-11.org.a","acls":[{"luns":[0]}]}]}""");
        Assert.Contains("targets[0].acls[0]: missing required property 'initiator'", message);
    }

    [Fact]
    public void Config_WrongType_ReportsProperty()
    {
        var message = ParseError("""{"queueDepth":"lots"}""");
        Assert.Contains("wrong type", message);
        Assert.Contains("queueDepth", message);
    }

    [Fact]
    public void Config_DuplicateProperty_IsError()
    {
        var message = ParseError("""{"queueDepth":1,"queueDepth":2}""");
        Assert.Contains("queueDepth", message);
    }

    [Fact]
    public void Config_SyntaxError_ReportsLineWithoutBoilerplate()
    {
        var message = ParseError("{\n  \"queueDepth\": 5\n  \"logLevel\": \"debug\"\n}");
        Assert.StartsWith("t.json:3:", message);
        Assert.DoesNotContain("LineNumber", message);
    }

    [Fact]
    public void Config_BadLogLevel_ReportsValue() =>
        Assert.Contains("invalid log level 'loud'", ParseError("""{"logLevel":"loud"}"""));

    [Fact]
    public void Config_EmptyPortals_IsError() =>
        Assert.Contains("'portals' is empty", ParseError("""{"portals":[]}"""));

    [Fact]
    public void Config_MissingFile_ReportsPath()
    {
        var e = Assert.Throws<CliException>(() => ConfigFileLoader.Load("/nonexistent/netscsi.json"));
        Assert.Equal(2, e.ExitCode);
        Assert.Contains("cannot read config file '/nonexistent/netscsi.json'", e.Message);
    }
}
