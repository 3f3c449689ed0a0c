using NetScsi.Transport.Aoe.Client;

namespace NetScsi.Transport.Aoe.Tests.Client;

public sealed class AoeUrlTests
{
    [Theory]
    [InlineData("aoe://eth0/1.2", "eth0", 1, 2)]
    [InlineData("AOE://veth-a/65534.254/", "veth-a", 65534, 254)]
    public void Parse_ShelfDotSlot(string text, string iface, int shelf, int slot)
    {
        Assert.True(AoeUrl.TryParse(text, out var url, out _));
        Assert.Equal(new AoeUrl(iface, (ushort)shelf, (byte)slot), url);
    }

    [Theory]
    [InlineData("aoe://eth0/1")]
    [InlineData("aoe://eth0/65535.0")]
    [InlineData("aoe://eth0/1.255")]
    [InlineData("aoe:///1.0")]
    [InlineData("aoe://a-name-too-long-for-linux/1.0")]
    [InlineData("aoe://eth0/x.1")]
    public void Parse_Refuses(string text) => Assert.False(AoeUrl.TryParse(text, out _, out var error) || error is null);

    [Fact]
    public void Portal_IsTheInterface()
    {
        Assert.True(AoeUrl.TryParsePortal("aoe:eth1", out var iface, out _));
        Assert.Equal("eth1", iface);
        Assert.False(AoeUrl.TryParsePortal("aoe://eth1/1.0", out _, out _));
    }
}
