namespace NetScsi.Transport.Ethernet.Tests;

public sealed class EthernetUrlTests
{
    [Theory]
    [InlineData("eth0", "eth0", null)]
    [InlineData("eth:veth1", "veth1", null)]
    [InlineData("eth:veth1/02:00:5e:10:00:01", "veth1", "02:00:5e:10:00:01")]
    [InlineData("enp3s0f1/02-00-5E-10-00-01", "enp3s0f1", "02:00:5e:10:00:01")]
    public void Portal_ParsesInterfaceAndOptionalMac(string text, string iface, string? mac)
    {
        Assert.True(EthernetPortal.TryParse(text, out EthernetPortal? portal, out string? error), error);
        Assert.Equal(iface, portal.Interface);
        Assert.Equal(mac, portal.Peer?.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("eth:", "not an interface name")]
    [InlineData("averyveryverylongname0", "1 to 15 characters")]
    [InlineData("eth0/zz", "not a MAC address")]
    [InlineData("eth0/ff:ff:ff:ff:ff:ff", "group or zero")]
    [InlineData("eth0/00:00:00:00:00:00", "group or zero")]
    [InlineData("et h0", "not allowed")]
    public void Portal_RefusesWhatIsNotOne_Saying_Why(string text, string reason)
    {
        Assert.False(EthernetPortal.TryParse(text, out _, out string? error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Portal_FormatsWithItsPrefix_AndParsesBack()
    {
        var portal = new EthernetPortal("veth1", new MacAddress(0x02005E100001));
        Assert.Equal("eth:veth1/02:00:5e:10:00:01", portal.ToString());
        Assert.True(EthernetPortal.TryParse(portal.ToString(), out EthernetPortal? back, out _));
        Assert.Equal(portal, back);
        Assert.Equal("eth", portal.Transport);
    }

    [Fact]
    public void Url_ParsesInterfaceMacTargetLunAndCredentials()
    {
        Assert.True(EthernetUrl.TryParse("eth://alice%s3cret@veth1/02:00:5e:10:00:01/iqn.2026-11.org.netscsi:disk/3", out EthernetUrl? url, out string? error), error);
        Assert.Equal("veth1", url.Portal.Interface);
        Assert.Equal(new MacAddress(0x02005E100001), url.Portal.Peer);
        Assert.Equal("iqn.2026-11.org.netscsi:disk", url.TargetName);
        Assert.Equal(3UL, url.Lun);
        Assert.Equal("alice", url.User);
        Assert.Equal("s3cret", url.Password);
        Assert.Equal("eth://veth1/02:00:5e:10:00:01/iqn.2026-11.org.netscsi:disk/3", url.ToString());
    }

    [Fact]
    public void Url_WithoutMac_LeavesThePeerToDiscovery()
    {
        Assert.True(EthernetUrl.TryParse("eth://veth1/iqn.2026-11.org.netscsi:disk/2", out EthernetUrl? url, out string? error), error);
        Assert.Null(url.Portal.Peer);
        Assert.Equal("iqn.2026-11.org.netscsi:disk", url.TargetName);
        Assert.Equal(2UL, url.Lun);
        Assert.Equal("eth://veth1/iqn.2026-11.org.netscsi:disk/2", url.ToString());
    }

    [Fact]
    public void Url_WithoutTarget_IsForDiscovery()
    {
        Assert.True(EthernetUrl.TryParse("eth://veth1/02:00:5e:10:00:01", out EthernetUrl? url, out _));
        Assert.Null(url.TargetName);
        Assert.Null(url.Lun);
    }

    [Theory]
    [InlineData("iscsi://1.2.3.4/iqn.x/0", "starts with eth://")]
    [InlineData("eth://veth1", "target's MAC")]
    [InlineData("eth://veth1//iqn.x/0", "target's MAC")]
    [InlineData("eth://veth1/02:00:5e:10:00:01/iqn.x/99999", "not a LUN")]
    [InlineData("eth://veth1/02:00:5e:10:00:01/iqn.x/0/extra", "too many parts")]
    [InlineData("eth://@veth1/02:00:5e:10:00:01/iqn.x/0", "user name")]
    public void Url_RefusesMalformedText_Saying_Why(string text, string reason)
    {
        Assert.False(EthernetUrl.TryParse(text, out _, out string? error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Transport_ParsesItsPortals_AndRefusesToListenWithAMac()
    {
        using var transport = new EthernetTransport();
        Assert.True(transport.TryParsePortal("veth1/02:00:5e:10:00:01", 3260, out Portal? portal, out _));
        Assert.IsType<EthernetPortal>(portal);
        Assert.Throws<ArgumentException>(() => transport.ListenAsync(portal).AsTask().GetAwaiter().GetResult());
    }
}
