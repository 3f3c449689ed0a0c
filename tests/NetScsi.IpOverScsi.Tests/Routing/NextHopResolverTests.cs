using System.Net;
using NetScsi.IpOverScsi.Routing;

namespace NetScsi.IpOverScsi.Tests.Routing;

public sealed class NextHopResolverTests
{
    private static uint A(string address) => NextHopResolver<object>.ToHostOrder(IPAddress.Parse(address));

    private sealed class ManualClock : TimeProvider
    {
        public long Now { get; set; }

        public override long TimestampFrequency => 1000;

        public override long GetTimestamp() => Now;
    }

    [Fact]
    public void Resolve_ANeighbour_IsItself_WithoutReadingRoutes()
    {
        int reads = 0;
        var resolver = new NextHopResolver<string>(() => { reads++; return []; });
        resolver.AddNeighbour(IPAddress.Parse("10.99.1.2"), "B");

        Assert.Equal("B", resolver.Resolve(A("10.99.1.2")));
        Assert.Equal(0, reads);
    }

    [Fact]
    public void Resolve_BeyondAGateway_IsTheGatewaysNeighbour()
    {
        var resolver = new NextHopResolver<string>(() => [new Ipv4Route(A("10.99.2.0"), A("255.255.255.0"), A("10.99.1.2"), 0)]);
        resolver.AddNeighbour(IPAddress.Parse("10.99.1.2"), "B");

        Assert.Equal("B", resolver.Resolve(A("10.99.2.3")));
    }

    [Fact]
    public void Resolve_AnOnLinkAddressNoNeighbourOwns_IsNobody()
    {
        var resolver = new NextHopResolver<string>(() => [new Ipv4Route(A("10.99.1.0"), A("255.255.255.0"), 0, 0)]);
        resolver.AddNeighbour(IPAddress.Parse("10.99.1.2"), "B");

        Assert.Null(resolver.Resolve(A("10.99.1.9")));
        Assert.Null(resolver.Resolve(A("10.99.1.255")));
    }

    [Theory]
    [InlineData("10.99.1.9", "10.99.1.9")]
    [InlineData("10.99.1.255", "0.0.0.0")]
    [InlineData("224.0.0.251", "0.0.0.0")]
    [InlineData("255.255.255.255", "0.0.0.0")]
    [InlineData("192.0.2.1", "0.0.0.0")]
    public void Resolve_NamesTheNextHopToAskFor_NeverABroadcastOrMulticastOne(string destination, string nextHop)
    {
        var resolver = new NextHopResolver<string>(() => [new Ipv4Route(A("10.99.1.0"), A("255.255.255.0"), 0, 0), new Ipv4Route(A("224.0.0.0"), A("240.0.0.0"), 0, 0)]);

        Assert.Null(resolver.Resolve(A(destination), out uint hop));
        Assert.Equal(A(nextHop), hop);
    }

    [Fact]
    public void Resolve_AfterTheCacheLifetime_SeesARouteChange()
    {
        var clock = new ManualClock();
        Ipv4Route[] routes = [new Ipv4Route(A("10.99.2.0"), A("255.255.255.0"), A("10.99.1.2"), 0)];
        var resolver = new NextHopResolver<string>(() => routes, clock);
        resolver.AddNeighbour(IPAddress.Parse("10.99.1.2"), "B");
        resolver.AddNeighbour(IPAddress.Parse("10.99.1.3"), "C");
        Assert.Equal("B", resolver.Resolve(A("10.99.2.3")));

        routes = [new Ipv4Route(A("10.99.2.0"), A("255.255.255.0"), A("10.99.1.3"), 0)];
        Assert.Equal("B", resolver.Resolve(A("10.99.2.3")));
        clock.Now += 1001;

        Assert.Equal("C", resolver.Resolve(A("10.99.2.3")));
    }

    [Fact]
    public void AddNeighbour_Twice_OrIpv6_IsRefused()
    {
        var resolver = new NextHopResolver<string>(() => []);
        resolver.AddNeighbour(IPAddress.Parse("10.99.1.2"), "B");

        Assert.Throws<ArgumentException>(() => resolver.AddNeighbour(IPAddress.Parse("10.99.1.2"), "C"));
        Assert.Throws<ArgumentException>(() => resolver.AddNeighbour(IPAddress.IPv6Loopback, "C"));
    }
}
