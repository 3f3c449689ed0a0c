using NetScsi.Cli.Parsing;
using NetScsi.Transport.Aoe;

namespace NetScsi.Functional.Tests.Cli;

/// <summary><c>--listen aoe:IFACE,shelf=S</c> and the LUN spec's <c>slot=N</c>.</summary>
public sealed class AoePortalParsingTests
{
    [Fact]
    public void Listen_AoeWithShelf_ParsesToAnAoePortal()
    {
        Assert.True(PortalParser.TryParse("aoe:aoe-tap0,shelf=258", out var portal, out var error), error);
        Assert.Equal(new AoePortal("aoe-tap0", 258), portal);
        Assert.Equal("aoe:aoe-tap0,shelf=258", PortalParser.Format(portal));
    }

    [Theory]
    [InlineData("aoe:eth0", "needs its shelf")]
    [InlineData("aoe:eth0,shelf=65535", "0..65534")]
    [InlineData("aoe:eth0,shelf=x", "0..65534")]
    [InlineData("aoe:eth0,slot=1", "unknown AoE portal option 'slot'")]
    [InlineData("aoe:,shelf=1", "not an interface name")]
    public void Listen_BadAoePortal_IsRejectedWithTheReason(string text, string reason)
    {
        Assert.False(PortalParser.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void LunSpec_Slot_SetsTheAoeSlot()
    {
        Assert.True(LunSpecParser.TryParse("file:a.img,size=1G,slot=3", out var lun, out var error), error);
        Assert.Equal(3, lun.AoeSlot);
        Assert.Null(lun.Number);
    }

    [Theory]
    [InlineData("file:a.img,slot=255")]
    [InlineData("memory:1M,slot=-1")]
    [InlineData("memory:1M,slot")]
    public void LunSpec_SlotOutOfRange_IsRejected(string spec) =>
        Assert.False(LunSpecParser.TryParse(spec, out _, out _));
}
