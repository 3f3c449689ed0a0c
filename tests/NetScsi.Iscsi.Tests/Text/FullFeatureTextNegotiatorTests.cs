using System.Text;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Session;
using NetScsi.Iscsi.Text;

namespace NetScsi.Iscsi.Tests.Text;

public sealed class FullFeatureTextNegotiatorTests
{
    private static byte[] Text(params string[] pairs) => Encoding.UTF8.GetBytes(string.Concat(pairs.Select(p => p + "\0")));

    private static (FullFeatureTextNegotiator Negotiator, IscsiSessionParameters Parameters) Create(int targets = 1, int initiatorMrdsl = 8192)
    {
        var options = new IscsiTargetOptions();
        for (int i = 0; i < targets; i++)
        {
            options.Targets.Add(new TargetDefinition { Name = $"iqn.2024-01.net.netscsi:disk{i}" });
        }

        var parameters = new IscsiSessionParameters
        {
            SessionType = SessionType.Discovery,
            InitiatorName = "iqn.1993-08.org.debian:01:abcdef",
            InitiatorMaxRecvDataSegmentLength = initiatorMrdsl,
        };
        return (new FullFeatureTextNegotiator(parameters, options, ["192.0.2.1:3260"]), parameters);
    }

    private static TextKeyValues Parse(byte[] data)
    {
        Assert.True(TextKeyValues.TryParse(data, out TextKeyValues pairs, out _, allowDuplicateKeys: true));
        return pairs;
    }

    [Fact]
    public void SendTargetsAll_InDiscovery_AnswersInOneFinalResponse()
    {
        (FullFeatureTextNegotiator negotiator, _) = Create();
        TextResponse response = negotiator.Process(new TextRequest { Final = true, Itt = 1, TargetTransferTag = 0xFFFFFFFF, Data = Text("SendTargets=All") });
        Assert.True(response.Final);
        Assert.False(response.Continue);
        Assert.Equal(0xFFFFFFFFu, response.TargetTransferTag);
        Assert.Equal("TargetName=iqn.2024-01.net.netscsi:disk0 TargetAddress=192.0.2.1:3260,1", Parse(response.Data).ToString());
    }

    [Fact]
    public void LongAnswer_SplitByInitiatorMaxRecvDataSegmentLength_ContinuedWithTargetTransferTag()
    {
        (FullFeatureTextNegotiator negotiator, _) = Create(targets: 40, initiatorMrdsl: 512);
        var collected = new List<byte>();
        TextResponse response = negotiator.Process(new TextRequest { Final = true, Itt = 5, TargetTransferTag = 0xFFFFFFFF, Data = Text("SendTargets=All") });
        int pieces = 1;
        while (!response.Final)
        {
            Assert.True(response.Continue);
            Assert.NotEqual(0xFFFFFFFFu, response.TargetTransferTag);
            Assert.True(response.Data.Length <= 512);
            collected.AddRange(response.Data);
            response = negotiator.Process(new TextRequest { Final = true, Itt = 5, TargetTransferTag = response.TargetTransferTag });
            pieces++;
        }

        collected.AddRange(response.Data);
        Assert.True(pieces > 1);
        TextKeyValues all = Parse([.. collected]);
        Assert.Equal(80, all.Count);
    }

    [Fact]
    public void InitiatorContinueBit_AccumulatedThenAnswered()
    {
        (FullFeatureTextNegotiator negotiator, _) = Create();
        byte[] text = Text("SendTargets=All");
        TextResponse first = negotiator.Process(new TextRequest { Continue = true, Itt = 2, TargetTransferTag = 0xFFFFFFFF, Data = text.AsMemory(0, 6) });
        Assert.False(first.Final);
        Assert.Empty(first.Data);
        TextResponse second = negotiator.Process(new TextRequest { Final = true, Itt = 2, TargetTransferTag = first.TargetTransferTag, Data = text.AsMemory(6) });
        Assert.True(second.Final);
        Assert.Contains("TargetName", Parse(second.Data).Select(p => p.Key));
    }

    [Fact]
    public void LoginOnlyKey_AnsweredReject_UnknownKey_NotUnderstood()
    {
        (FullFeatureTextNegotiator negotiator, _) = Create();
        TextResponse response = negotiator.Process(new TextRequest { Final = true, Itt = 1, TargetTransferTag = 0xFFFFFFFF, Data = Text("MaxBurstLength=4096", "X-foo=1") });
        TextKeyValues pairs = Parse(response.Data);
        Assert.True(pairs.TryGetValue("MaxBurstLength", out string a));
        Assert.Equal("Reject", a);
        Assert.True(pairs.TryGetValue("X-foo", out string b));
        Assert.Equal("NotUnderstood", b);
    }

    [Fact]
    public void MaxRecvDataSegmentLength_Redeclared_UpdatesParameters()
    {
        (FullFeatureTextNegotiator negotiator, IscsiSessionParameters parameters) = Create();
        TextResponse response = negotiator.Process(new TextRequest { Final = true, Itt = 1, TargetTransferTag = 0xFFFFFFFF, Data = Text("MaxRecvDataSegmentLength=65536") });
        Assert.Empty(response.Data);
        Assert.Equal(65536, parameters.InitiatorMaxRecvDataSegmentLength);
    }

    [Fact]
    public void UnknownTargetTransferTag_IsProtocolError()
    {
        (FullFeatureTextNegotiator negotiator, _) = Create();
        Assert.True(negotiator.Process(new TextRequest { Final = true, Itt = 1, TargetTransferTag = 1234 }).IsProtocolError);
    }

    [Fact]
    public void MalformedText_IsProtocolError()
    {
        (FullFeatureTextNegotiator negotiator, _) = Create();
        Assert.True(negotiator.Process(new TextRequest { Final = true, Itt = 1, TargetTransferTag = 0xFFFFFFFF, Data = "SendTargets"u8.ToArray() }).IsProtocolError);
    }
}
