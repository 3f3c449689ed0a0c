using System.Net;
using NetScsi.IpOverScsi.Tun;

namespace NetScsi.IpOverScsi.Tests.Tun;

public sealed class TunInterfaceOptionsTests
{
    [Theory]
    [InlineData("a-name-too-long-", 65535, 24)]
    [InlineData("", 65535, 24)]
    [InlineData("sc si", 65535, 24)]
    [InlineData("scsi/0", 65535, 24)]
    [InlineData("scsi0", 67, 24)]
    [InlineData("scsi0", 65536, 24)]
    [InlineData("scsi0", 1500, 33)]
    public void Validate_NamesTheFirstBadField(string name, int mtu, int prefix)
    {
        var options = new TunInterfaceOptions { Name = name, Mtu = mtu, PrefixLength = prefix, Address = IPAddress.Parse("10.99.0.1") };

        Assert.NotNull(options.Validate());
        Assert.Throws<ArgumentException>(() => TunInterface.Create(options));
    }

    [Fact]
    public void Validate_AcceptsTheDefaultsAndTheLargestMtu()
    {
        Assert.Null(new TunInterfaceOptions().Validate());
        Assert.Null(new TunInterfaceOptions { Name = "scsi15", Mtu = 65535, Address = IPAddress.Parse("10.99.0.1"), PrefixLength = 32 }.Validate());
    }

    [Fact]
    public void Validate_RefusesAnIpv6Address()
    {
        Assert.NotNull(new TunInterfaceOptions { Address = IPAddress.IPv6Loopback }.Validate());
    }
}
