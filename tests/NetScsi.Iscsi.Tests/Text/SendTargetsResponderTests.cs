using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Session;
using NetScsi.Iscsi.Text;

namespace NetScsi.Iscsi.Tests.Text;

public sealed class SendTargetsResponderTests
{
    private const string Initiator = "iqn.1993-08.org.debian:01:abcdef";

    private static List<TargetDefinition> Targets()
    {
        var open = new TargetDefinition { Name = "iqn.2024-01.net.netscsi:open" };
        var restricted = new TargetDefinition { Name = "iqn.2024-01.net.netscsi:restricted" };
        restricted.Acls.Add(new InitiatorAcl("iqn.2000-01.com.other:host"));
        var mine = new TargetDefinition { Name = "iqn.2024-01.net.netscsi:mine" };
        mine.Acls.Add(new InitiatorAcl(Initiator));
        return [open, restricted, mine];
    }

    private static string Render(TextKeyValues pairs) => string.Join("|", pairs);

    [Fact]
    public void All_Ipv4Portal_ListsTargetsWithAddressAndTag()
    {
        TextKeyValues response = SendTargetsResponder.Build("All", SessionType.Discovery, null, Targets(),
            ["192.168.1.10:3260"], Initiator, 1);
        Assert.Equal(
            "TargetName=iqn.2024-01.net.netscsi:open|TargetAddress=192.168.1.10:3260,1|" +
            "TargetName=iqn.2024-01.net.netscsi:mine|TargetAddress=192.168.1.10:3260,1",
            Render(response));
    }

    [Fact]
    public void All_SeveralPortals_EachAddressWithTheTag()
    {
        TextKeyValues response = SendTargetsResponder.Build("iqn.2024-01.net.netscsi:open", SessionType.Discovery, null, Targets(),
            ["[fd00::5]:3261", "10.0.0.2:3262"], Initiator, 7);
        Assert.Equal("TargetName=iqn.2024-01.net.netscsi:open|TargetAddress=[fd00::5]:3261,7|TargetAddress=10.0.0.2:3262,7", Render(response));
    }

    [Fact]
    public void AclHidesTargetsTheInitiatorMayNotUse()
    {
        TextKeyValues response = SendTargetsResponder.Build("All", SessionType.Discovery, null, Targets(),
            ["127.0.0.1:3260"], "iqn.2000-01.com.other:host", 1);
        Assert.Contains(response, p => p.Value == "iqn.2024-01.net.netscsi:restricted");
        Assert.DoesNotContain(response, p => p.Value == "iqn.2024-01.net.netscsi:mine");
    }

    [Fact]
    public void NamedTarget_ListsOnlyThatTarget()
    {
        TextKeyValues response = SendTargetsResponder.Build("iqn.2024-01.net.netscsi:open", SessionType.Discovery, null, Targets(),
            ["127.0.0.1:3260"], Initiator, 1);
        Assert.Equal("TargetName=iqn.2024-01.net.netscsi:open|TargetAddress=127.0.0.1:3260,1", Render(response));
    }

    [Fact]
    public void Empty_InNormalSession_ListsSessionTarget()
    {
        TextKeyValues response = SendTargetsResponder.Build("", SessionType.Normal, "iqn.2024-01.net.netscsi:mine", Targets(),
            ["127.0.0.1:3260"], Initiator, 1);
        Assert.Equal("TargetName=iqn.2024-01.net.netscsi:mine|TargetAddress=127.0.0.1:3260,1", Render(response));
    }

    [Fact]
    public void All_InNormalSession_IsReject()
    {
        TextKeyValues response = SendTargetsResponder.Build("All", SessionType.Normal, "iqn.2024-01.net.netscsi:mine", Targets(),
            ["127.0.0.1:3260"], Initiator, 1);
        Assert.Equal("SendTargets=Reject", Render(response));
    }
}
