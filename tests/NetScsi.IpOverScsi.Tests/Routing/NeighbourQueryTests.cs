using NetScsi.IpOverScsi.Routing;

namespace NetScsi.IpOverScsi.Tests.Routing;

public sealed class NeighbourQueryTests
{
    [Fact]
    public void Request_HasTheArpLayout_AndRoundTrips()
    {
        byte[] packet = new byte[NeighbourQuery.Length];

        NeighbourQuery.Write(packet, NeighbourQuery.Request, 0x0102030405060708, 0x0A630001, 0, 0x0A630002);

        Assert.Equal(
            Convert.FromHexString("FFFF0800" + "0804" + "0001" + "0102030405060708" + "0A630001" + "0000000000000000" + "0A630002"),
            packet);
        Assert.True(NeighbourQuery.TryRead(packet, out ushort operation, out ulong sha, out uint spa, out ulong tha, out uint tpa));
        Assert.Equal((NeighbourQuery.Request, 0x0102030405060708UL, 0x0A630001u, 0UL, 0x0A630002u), (operation, sha, spa, tha, tpa));
    }

    [Theory]
    [InlineData("FFFF0800" + "0804" + "0003" + "0102030405060708" + "0A630001" + "0000000000000000" + "0A630002")]
    [InlineData("00010800" + "0804" + "0001" + "0102030405060708" + "0A630001" + "0000000000000000" + "0A630002")]
    [InlineData("FFFF0800" + "0604" + "0001" + "0102030405060708" + "0A630001" + "0000000000000000" + "0A630002")]
    [InlineData("FFFF0800" + "0804" + "0001")]
    public void TryRead_RefusesOtherPackets(string hex)
    {
        Assert.False(NeighbourQuery.TryRead(Convert.FromHexString(hex), out _, out _, out _, out _, out _));
    }

    [Fact]
    public void HardwareAddress_DependsOnTheTargetName()
    {
        Assert.Equal(NeighbourQuery.HardwareAddressOf("iqn.2026-11.org.netscsi:ip-a"), NeighbourQuery.HardwareAddressOf("iqn.2026-11.org.netscsi:ip-a"));
        Assert.NotEqual(NeighbourQuery.HardwareAddressOf("iqn.2026-11.org.netscsi:ip-a"), NeighbourQuery.HardwareAddressOf("iqn.2026-11.org.netscsi:ip-b"));
    }
}
