using System.Net;
using NetScsi.Cli.Parsing;
using NetScsi.Transport.Tcp;

namespace NetScsi.Functional.Tests.Cli;

public sealed class PortalParserTests
{
    [Fact]
    public void Listen_Ipv4WithPort_Parses()
    {
        Assert.True(PortalParser.TryParse("1.2.3.4:3261", out var ep, out _));
        Assert.Equal(new TcpPortal(new IPEndPoint(IPAddress.Parse("1.2.3.4"), 3261)), ep);
    }

    [Fact]
    public void Listen_Ipv4WithoutPort_Defaults3260()
    {
        Assert.True(PortalParser.TryParse("0.0.0.0", out var ep, out _));
        Assert.Equal(new TcpPortal(new IPEndPoint(IPAddress.Any, 3260)), ep);
    }

    [Fact]
    public void Listen_Ipv6WithPort_Parses()
    {
        Assert.True(PortalParser.TryParse("[::1]:3262", out var ep, out _));
        Assert.Equal(new TcpPortal(new IPEndPoint(IPAddress.IPv6Loopback, 3262)), ep);
    }

    [Fact]
    public void Listen_Ipv6WithoutPort_Defaults3260()
    {
        Assert.True(PortalParser.TryParse("[fe80::1]", out var ep, out _));
        Assert.Equal(new TcpPortal(new IPEndPoint(IPAddress.Parse("fe80::1"), 3260)), ep);
    }

    [Theory]
    [InlineData("1.2.3.4:-1", "port '-1'")]
    [InlineData("1.2.3.4:65536", "port '65536'")]
    [InlineData("1.2.3.4:http", "port 'http'")]
    [InlineData("1.2.3.4:", "port ''")]
    [InlineData("[::1]:x", "port 'x'")]
    public void Listen_BadPort_NamesPort(string text, string fragment)
    {
        Assert.False(PortalParser.TryParse(text, out _, out var error));
        Assert.Contains(fragment, error);
        Assert.Contains($"'{text}'", error);
    }

    [Theory]
    [InlineData("localhost:3260", "'localhost' is not an IPv4 address")]
    [InlineData("1.2.3:3260", "'1.2.3' is not an IPv4 address")]
    [InlineData("256.1.1.1", "'256.1.1.1' is not an IPv4 address")]
    [InlineData("::1", "in brackets")]
    [InlineData("[::1", "missing ']'")]
    [InlineData("[1.2.3.4]:3260", "'1.2.3.4' is not an IPv6 address")]
    [InlineData("[::1]3260", "expected ':PORT'")]
    [InlineData(":3260", "missing address")]
    public void Listen_BadAddress_NamesAddress(string text, string fragment)
    {
        Assert.False(PortalParser.TryParse(text, out _, out var error));
        Assert.Contains(fragment, error);
    }

    [Fact]
    public void Listen_PortZero_MeansAnyFreePort()
    {
        Assert.True(PortalParser.TryParse("127.0.0.1:0", out var ep, out _));
        Assert.Equal(0, Assert.IsType<TcpPortal>(ep).Port);
    }

    [Fact]
    public void Format_Ipv6_UsesBrackets() =>
        Assert.Equal("[::1]:3260", PortalParser.Format(new TcpPortal(new IPEndPoint(IPAddress.IPv6Loopback, 3260))));
}
