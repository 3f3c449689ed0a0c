using NetScsi.Iscsi.Initiator.Multipath;
using NetScsi.Scsi.Alua;

namespace NetScsi.Iscsi.Tests.Initiator;

/// <summary>The multipath path choice, without sessions.</summary>
public sealed class PathSelectorTests
{
    [Fact]
    public void ActiveOptimizedFirst_ThenNonOptimized_NeverStandbyUnavailableOrTransitioning()
    {
        var s = new PathSelector(4);
        Assert.Equal(-1, s.Current);
        s.PathUp(0, AsymmetricAccessState.Standby);
        s.PathUp(1, AsymmetricAccessState.Unavailable);
        s.PathUp(2, AsymmetricAccessState.Transitioning);
        Assert.Equal(-1, s.Current);
        Assert.True(s.NeedsRefresh);

        s.PathUp(3, AsymmetricAccessState.ActiveNonOptimized);
        Assert.Equal(3, s.Current);
        s.StateRead(1, AsymmetricAccessState.ActiveOptimized);
        Assert.Equal(1, s.Current);
        s.StateRead(0, AsymmetricAccessState.ActiveOptimized);
        Assert.Equal(0, s.Current);  // the first in order among equals, on every initiator alike
        Assert.False(s.NeedsRefresh);
    }

    [Fact]
    public void ADownPath_IsLeft_AndUsedAgainWhenItComesBack()
    {
        var s = new PathSelector(2);
        s.PathUp(0, AsymmetricAccessState.ActiveOptimized);
        s.PathUp(1, AsymmetricAccessState.ActiveNonOptimized);
        s.Completed(0);
        Assert.Equal(-1, s.FailedOverFrom);

        s.PathDown(0);
        Assert.Equal(1, s.Current);
        Assert.Equal(0, s.FailedOverFrom);
        s.Completed(1);
        Assert.Equal(-1, s.FailedOverFrom);

        s.PathUp(0, AsymmetricAccessState.ActiveOptimized);
        Assert.Equal(0, s.Current);
    }

    [Fact]
    public void ARefusal_MakesThePathStale_UntilItsStateIsReadAgain()
    {
        var s = new PathSelector(2);
        s.PathUp(0, AsymmetricAccessState.ActiveOptimized);
        s.PathUp(1, AsymmetricAccessState.Standby);

        s.StateChanged(0);
        Assert.Equal(-1, s.Current);
        Assert.True(s.IsStale(0));
        Assert.True(s.NeedsRefresh);

        s.StateRead(1, AsymmetricAccessState.ActiveOptimized);
        Assert.Equal(1, s.Current);
        s.StateRead(0, AsymmetricAccessState.Standby);
        Assert.Equal(1, s.Current);
        Assert.False(s.NeedsRefresh);
    }

    [Fact]
    public void WithoutAlua_EveryUpPathIsUsable()
    {
        var s = new PathSelector(2);
        s.PathUp(1, null);
        Assert.Equal(1, s.Current);
        s.PathUp(0, null);
        Assert.Equal(0, s.Current);
    }

    [Fact]
    public void AluaPages_FindThePortGroupAndItsState()
    {
        byte[] vpd = [0, 0x83, 0, 16, 0x01, 0x03, 0, 4, 1, 2, 3, 4, 0x61, 0x05, 0, 4, 0, 0, 0, 7];
        Assert.True(AluaPages.TryGetPortGroup(vpd, out ushort group));
        Assert.Equal(7, group);
        Assert.False(AluaPages.TryGetPortGroup(vpd.AsSpan(0, 12), out _));

        // Two groups: 3 standby with one port, 7 active/non-optimized with none.
        byte[] rtpg = [0, 0, 0, 20, 0x02, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 9, 0x01, 0, 0, 7, 0, 0, 0, 0];
        Assert.True(AluaPages.TryGetGroupState(rtpg, 7, out var state));
        Assert.Equal(AsymmetricAccessState.ActiveNonOptimized, state);
        Assert.True(AluaPages.TryGetGroupState(rtpg, 3, out state));
        Assert.Equal(AsymmetricAccessState.Standby, state);
        Assert.False(AluaPages.TryGetGroupState(rtpg, 5, out _));
    }
}
