using NetScsi.Transport.Tcp;

namespace NetScsi.Functional.Tests.Transport;

public sealed class DescriptorHeadroomTests
{
    [Theory]
    [InlineData(335, 400, false)] // 400 - 64 = 336 is the first descriptor of the reserve
    [InlineData(336, 400, true)]
    [InlineData(399, 400, true)]
    [InlineData(17499, 20000, false)] // an eighth of 20000 is 2500
    [InlineData(17500, 20000, true)]
    [InlineData(1_000_000, ulong.MaxValue, false)] // RLIM_INFINITY
    public void DescriptorInTheLastEighthOfTheLimit_AtLeast64_IsInReserve(long descriptor, ulong softLimit, bool expected) =>
        Assert.Equal(expected, DescriptorHeadroom.IsInReserve(descriptor, softLimit));
}
