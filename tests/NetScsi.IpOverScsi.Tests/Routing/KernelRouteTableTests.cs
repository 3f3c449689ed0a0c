using NetScsi.IpOverScsi.Routing;

namespace NetScsi.IpOverScsi.Tests.Routing;

public sealed class KernelRouteTableTests
{
    // /proc/net/route as a little-endian kernel prints it: 10.99.1.0/24 on-link and 10.99.2.0/24 via 10.99.1.2 on
    // scsi0, a default route on eth0.
    private const string Table =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
        "eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
        "scsi0\t0001630A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" +
        "scsi0\t0002630A\t0201630A\t0003\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" +
        "scsi0\t0302630A\t0301630A\t0007\t0\t0\t0\tFFFFFFFF\t0\t0\t0\n";

    private static uint A(string address) => NextHopResolver<object>.ToHostOrder(System.Net.IPAddress.Parse(address));

    [Fact]
    public void Parse_KeepsOnlyTheInterfacesRoutes_InHostByteOrder()
    {
        IReadOnlyList<Ipv4Route> routes = KernelRouteTable.Parse(Table, "scsi0");

        Assert.Equal(
            [
                new Ipv4Route(A("10.99.1.0"), A("255.255.255.0"), 0, 0),
                new Ipv4Route(A("10.99.2.0"), A("255.255.255.0"), A("10.99.1.2"), 0),
                new Ipv4Route(A("10.99.2.3"), A("255.255.255.255"), A("10.99.1.3"), 0),
            ],
            routes);
    }

    [Fact]
    public void Lookup_PrefersTheLongestPrefix()
    {
        IReadOnlyList<Ipv4Route> routes = KernelRouteTable.Parse(Table, "scsi0");

        Assert.Equal(A("10.99.1.3"), KernelRouteTable.Lookup(routes, A("10.99.2.3"))!.Value.Gateway);
        Assert.Equal(A("10.99.1.2"), KernelRouteTable.Lookup(routes, A("10.99.2.4"))!.Value.Gateway);
        Assert.Equal(0u, KernelRouteTable.Lookup(routes, A("10.99.1.7"))!.Value.Gateway);
        Assert.Null(KernelRouteTable.Lookup(routes, A("192.0.2.1")));
    }

    [Fact]
    public void Parse_SkipsMalformedLines()
    {
        Assert.Empty(KernelRouteTable.Parse("header\nscsi0\tzz\t0\t0\t0\t0\t0\t0\nscsi0 short\n", "scsi0"));
    }
}
