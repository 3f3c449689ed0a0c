using NetScsi.Cli.Configuration;
using NetScsi.Cli.Parsing;

namespace NetScsi.Functional.Tests.Cli;

public sealed class ChapAndNameTests
{
    [Fact]
    public void Chap_UserAndSecret_SplitsAtFirstColon()
    {
        Assert.True(ChapParser.TryParse("alice:se:cret:123456", "--chap", out var chap, out _));
        Assert.Equal(new ChapConfig("alice", "se:cret:123456"), chap);
    }

    [Theory]
    [InlineData("nosecret", "--chap: expected USER:SECRET")]
    [InlineData(":secret123456", "user name is empty")]
    [InlineData("alice:", "secret is empty")]
    public void Chap_Malformed_ReportsProblemWithoutSecret(string text, string fragment)
    {
        Assert.False(ChapParser.TryParse(text, "--chap", out _, out var error));
        Assert.Contains(fragment, error);
        Assert.DoesNotContain("secret123456", error);
    }

    [Fact]
    public void Chap_SecretOver255Bytes_IsRejected()
    {
        Assert.False(ChapParser.TryParse("u:" + new string('x', 256), "--mutual-chap", out _, out var error));
        Assert.Contains("--mutual-chap: CHAP secret is longer than 255 bytes", error);
    }

    [Fact]
    public void Chap_ShortSecret_IsAcceptedWithWarning()
    {
        Assert.True(ChapParser.TryParse("u:short", "--chap", out var chap, out _));
        Assert.Contains("RFC 7143 recommends at least 12", ChapRules.Warning(chap!, "--chap"));
        Assert.Null(ChapRules.Warning(new ChapConfig("u", "twelve-bytes"), "--chap"));
    }

    [Fact]
    public void ChapConfig_ToString_HidesSecret() =>
        Assert.DoesNotContain("hunter2", new ChapConfig("u", "hunter2").ToString());

    [Theory]
    [InlineData("iqn.2026-11.org.netscsi:default")]
    [InlineData("iqn.1993-08.org.debian:01:abcdef")]
    [InlineData("iqn.2001-04.com.example")]
    [InlineData("iqn.2001-04.com.example:storage.disk2.sys1.xyz")]
    [InlineData("eui.02004567A425678D")]
    [InlineData("naa.52004567BA64678D")]
    [InlineData("naa.62004567BA64678D0123456789ABCDEF")]
    public void IscsiName_Valid_IsAccepted(string name) =>
        Assert.True(IscsiNameValidator.TryValidate(name, out var error), error);

    [Theory]
    [InlineData("iqn.2026-11.org.Example:x", "must be lowercase")]
    [InlineData("IQN.2026-11.org.example", "must be lowercase")]
    [InlineData("iqn.2026-13.org.example", "expected iqn.YYYY-MM")]
    [InlineData("iqn.26-11.org.example", "expected iqn.YYYY-MM")]
    [InlineData("iqn.2026-11", "expected iqn.YYYY-MM")]
    [InlineData("iqn.2026-11.org..example", "expected iqn.YYYY-MM")]
    [InlineData("eui.0200", "16 hex digits")]
    [InlineData("naa.12345", "16 or 32 hex digits")]
    [InlineData("target0", "must start with iqn., eui. or naa.")]
    [InlineData("iqn.2026-11.org.example:a b", "whitespace")]
    [InlineData("", "empty")]
    public void IscsiName_Invalid_ReportsWhy(string name, string fragment)
    {
        Assert.False(IscsiNameValidator.TryValidate(name, out var error));
        Assert.Contains(fragment, error);
    }

    [Fact]
    public void IscsiName_Over223Bytes_IsRejected()
    {
        Assert.False(IscsiNameValidator.TryValidate("iqn.2026-11.org.example:" + new string('a', 200), out var error));
        Assert.Contains("223 bytes", error);
    }

    [Fact]
    public void Acl_WithLuns_ParsesNameAndList()
    {
        Assert.True(AclSpecParser.TryParse("iqn.1993-08.org.debian:01:abc=0,2", out var acl, out _));
        Assert.Equal("iqn.1993-08.org.debian:01:abc", acl!.InitiatorName);
        Assert.Equal([0, 2], acl.Luns);
    }

    [Theory]
    [InlineData("host1", "must start with iqn.")]
    [InlineData("iqn.1993-08.org.debian:01:abc=x", "LUN 'x'")]
    public void Acl_Malformed_ReportsCulprit(string spec, string fragment)
    {
        Assert.False(AclSpecParser.TryParse(spec, out _, out var error));
        Assert.Contains(fragment, error);
    }
}
