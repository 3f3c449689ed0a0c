using NetScsi.Iscsi.Initiator;

namespace NetScsi.Iscsi.Tests.Initiator;

public sealed class IscsiUrlTests
{
    [Fact]
    public void Parse_FullUrlWithCredentials_ReadsEveryPart()
    {
        var url = IscsiUrl.Parse("iscsi://alice%s3cr%et@storage.example:3261/iqn.2026-11.org.example:disk1/7");
        Assert.Equal("alice", url.User);
        Assert.Equal("s3cr%et", url.Password);
        Assert.Equal("storage.example", url.Host);
        Assert.Equal(3261, url.Port);
        Assert.Equal("iqn.2026-11.org.example:disk1", url.TargetName);
        Assert.Equal(7UL, url.Lun);
        Assert.False(url.IsDiscoveryOnly);
    }

    [Fact]
    public void Parse_NoPort_DefaultsTo3260()
    {
        var url = IscsiUrl.Parse("iscsi://10.0.0.1/iqn.2026-11.org.example:disk1/0");
        Assert.Equal(3260, url.Port);
        Assert.Equal("10.0.0.1:3260", url.Address);
        Assert.Null(url.User);
    }

    [Fact]
    public void Parse_BracketedIpv6WithPort_ReadsAddress()
    {
        var url = IscsiUrl.Parse("iscsi://[fe80::1]:3262/iqn.2026-11.org.example:disk1/1");
        Assert.Equal("fe80::1", url.Host);
        Assert.Equal(3262, url.Port);
        Assert.Equal("[fe80::1]:3262", url.Address);
    }

    [Theory]
    [InlineData("iscsi://host")]
    [InlineData("iscsi://host:3260")]
    [InlineData("iscsi://host/")]
    [InlineData("iscsi://[::1]")]
    public void Parse_PortalOnly_IsDiscoveryOnly(string text)
    {
        var url = IscsiUrl.Parse(text);
        Assert.True(url.IsDiscoveryOnly);
        Assert.Null(url.Lun);
    }

    [Fact]
    public void Parse_TargetWithoutLun_HasNoLun()
    {
        var url = IscsiUrl.Parse("iscsi://host/iqn.2026-11.org.example:disk1");
        Assert.Equal("iqn.2026-11.org.example:disk1", url.TargetName);
        Assert.Null(url.Lun);
    }

    [Fact]
    public void ToString_OmitsPassword()
    {
        var url = IscsiUrl.Parse("iscsi://bob%topsecret@[::1]:3261/iqn.2026-11.org.example:d/3");
        string text = url.ToString();
        Assert.DoesNotContain("topsecret", text, StringComparison.Ordinal);
        Assert.Equal("iscsi://bob@[::1]:3261/iqn.2026-11.org.example:d/3", text);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("http://host/iqn.x/0", "must start with 'iscsi://'")]
    [InlineData("iscsi:///iqn.2026-11.org.example:d/0", "host is empty")]
    [InlineData("iscsi://host:0/iqn.2026-11.org.example:d/0", "'0' is not a port")]
    [InlineData("iscsi://host:70000/iqn.2026-11.org.example:d/0", "'70000' is not a port")]
    [InlineData("iscsi://host:/iqn.2026-11.org.example:d/0", "'' is not a port")]
    [InlineData("iscsi://fe80::1/iqn.2026-11.org.example:d/0", "must be written in brackets")]
    [InlineData("iscsi://[fe80::1/iqn.2026-11.org.example:d/0", "closing ']'")]
    [InlineData("iscsi://[10.0.0.1]/iqn.2026-11.org.example:d/0", "is not an IPv6 address")]
    [InlineData("iscsi://host/iqn.2026-11.org.example:d/x", "'x' is not a LUN")]
    [InlineData("iscsi://host/iqn.2026-11.org.example:d/-1", "'-1' is not a LUN")]
    [InlineData("iscsi://host/iqn.2026-11.org.example:d/16384", "'16384' is not a LUN")]
    [InlineData("iscsi://host/iqn.2026-11.org.example:d/", "LUN after the target name is empty")]
    [InlineData("iscsi://host//0", "target name after the portal is empty")]
    [InlineData("iscsi://host/disk1/0", "'disk1' is not an iSCSI name")]
    [InlineData("iscsi://@host/iqn.2026-11.org.example:d/0", "user name before '@' is empty")]
    [InlineData("iscsi://user%@host/iqn.2026-11.org.example:d/0", "password after '%' is empty")]
    [InlineData("iscsi://ho st/iqn.2026-11.org.example:d/0", "invalid character ' '")]
    public void TryParse_BadUrl_ExplainsWhy(string text, string expected)
    {
        Assert.False(IscsiUrl.TryParse(text, out var url, out string? error));
        Assert.Null(url);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadUrl_ThrowsFormatException()
    {
        var e = Assert.Throws<FormatException>(() => IscsiUrl.Parse("iscsi://host/iqn.2026-11.org.example:d/abc"));
        Assert.Contains("not a LUN", e.Message, StringComparison.Ordinal);
    }
}
