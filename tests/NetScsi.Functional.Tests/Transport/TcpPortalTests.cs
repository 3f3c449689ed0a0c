using System.Net;
using NetScsi.Transport.Tcp;

namespace NetScsi.Functional.Tests.Transport;

/// <summary>TCP portals: their text form, and what SendTargets reports for a listener (RFC 7143 §13.8).</summary>
public sealed class TcpPortalTests
{
    [Theory]
    [InlineData("10.0.0.1", 3260, "10.0.0.1", 3260)]
    [InlineData("10.0.0.1:3261", 3260, "10.0.0.1", 3261)]
    [InlineData("[fd00::5]:3262", 3260, "fd00::5", 3262)]
    [InlineData("[::1]", 3260, "::1", 3260)]
    [InlineData("storage.example", 3260, "storage.example", 3260)]
    public void TryParse_HostAndOptionalPort(string text, int defaultPort, string host, int port)
    {
        Assert.True(TcpPortal.TryParse(text, defaultPort, out TcpPortal? portal, out string? error), error);
        Assert.Equal(new TcpPortal(host, port), portal);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("fd00::5", "brackets")]
    [InlineData("[fd00::5", "']'")]
    [InlineData("10.0.0.1:99999", "not a TCP port")]
    [InlineData(":3260", "no host")]
    public void TryParse_Malformed_SaysWhy(string text, string reason)
    {
        Assert.False(TcpPortal.TryParse(text, 3260, out _, out string? error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void ToString_Ipv6InBrackets_ScopeIdDropped()
    {
        Assert.Equal("[fd00::5]:3261", new TcpPortal("fd00::5", 3261).ToString());
        Assert.Equal("[fe80::1]:3260", new TcpPortal(new IPEndPoint(IPAddress.Parse("fe80::1%2"), 3260)).ToString());
        Assert.Equal("192.168.1.10:3260", new TcpPortal(new IPEndPoint(IPAddress.Parse("192.168.1.10").MapToIPv6(), 3260)).ToString());
    }

    [Fact]
    public void FormatTargetAddress_WildcardListeners_ReportTheAddressTheConnectionReached()
    {
        var any = new IPEndPoint(IPAddress.Any, 3260);
        var dualStack = new IPEndPoint(IPAddress.IPv6Any, 3260);
        var specific = new IPEndPoint(IPAddress.Parse("10.0.0.2"), 3262);

        IPAddress viaIpv4 = IPAddress.Parse("10.0.0.1").MapToIPv6();
        Assert.Equal("10.0.0.1:3260", TcpPortal.FormatTargetAddress(any, viaIpv4));
        Assert.Equal("10.0.0.1:3260", TcpPortal.FormatTargetAddress(dualStack, viaIpv4));
        Assert.Equal("10.0.0.2:3262", TcpPortal.FormatTargetAddress(specific, viaIpv4));

        IPAddress viaIpv6 = IPAddress.Parse("2001:db8::1");
        Assert.Null(TcpPortal.FormatTargetAddress(any, viaIpv6));
        Assert.Equal("[2001:db8::1]:3260", TcpPortal.FormatTargetAddress(dualStack, viaIpv6));
        Assert.Equal("10.0.0.2:3262", TcpPortal.FormatTargetAddress(specific, viaIpv6));

        Assert.Null(TcpPortal.FormatTargetAddress(any, reached: null));
    }
}
