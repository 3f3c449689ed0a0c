using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Login;
using NetScsi.Iscsi.Session;
using NetScsi.Iscsi.Text;
using NetScsi.Transport;
using static NetScsi.Iscsi.Tests.Login.LoginTestKit;

namespace NetScsi.Iscsi.Tests.Login;

/// <summary>The iSER keys of RFC 7145 §6: negotiated per data mover, irrelevant over a byte stream.</summary>
public sealed class RdmaKeyNegotiationTests
{
    private const LoginStage Operational = LoginStage.LoginOperationalNegotiation;
    private const LoginStage FullFeature = LoginStage.FullFeaturePhase;

    private static readonly DataMoverCapabilities s_rdma = new() { RdmaExtensions = true, Digests = false };

    // What Linux's ib_iser proposes on a normal session (measured in the rdma-guest, see its README).
    private static readonly string[] s_kernelInitiatorOffer =
    [
        $"InitiatorName={InitiatorName}", $"TargetName={TargetName}", "SessionType=Normal",
        "HeaderDigest=None", "DataDigest=None", "InitialR2T=No", "ImmediateData=Yes", "MaxBurstLength=16776192",
        "FirstBurstLength=262144", "InitiatorRecvDataSegmentLength=262144", "TargetRecvDataSegmentLength=8192",
        "RDMAExtensions=Yes", "MaxOutstandingUnexpectedPDUs=4",
    ];

    private static TextKeyDefinition Key(string name)
    {
        Assert.True(TextKeyTable.TryGet(name, out TextKeyDefinition definition), name);
        return definition;
    }

    [Theory]
    [InlineData("RDMAExtensions", "RFC 7145 §6.3", TextKeyResultFunction.And, "No")]
    [InlineData("TargetRecvDataSegmentLength", "RFC 7145 §6.4", TextKeyResultFunction.Min, "8192")]
    [InlineData("InitiatorRecvDataSegmentLength", "RFC 7145 §6.5", TextKeyResultFunction.Min, "8192")]
    [InlineData("MaxOutstandingUnexpectedPDUs", "RFC 7145 §6.7", TextKeyResultFunction.MinOrZero, "0")]
    public void Table_HasTheIserKeys(string name, string section, TextKeyResultFunction result, string defaultValue)
    {
        TextKeyDefinition definition = Key(name);
        Assert.Equal(section, definition.Section);
        Assert.Equal(result, definition.Result);
        Assert.Equal(defaultValue, definition.Default);
        Assert.True(definition.IrrelevantInDiscovery);
        Assert.Equal(name != "RDMAExtensions", definition.IrrelevantWithoutRdma);
    }

    [Theory]
    [InlineData("0", "0", "0")]
    [InlineData("0", "8", "8")]
    [InlineData("16", "0", "16")]
    [InlineData("16", "8", "8")]
    [InlineData("2", "4294967295", "2")]
    public void MaxOutstandingUnexpectedPdus_ZeroYieldsToAnyLimit(string offered, string local, string expected)
    {
        Assert.True(TextKeyNegotiation.TryRespond(Key(TextKeyTable.MaxOutstandingUnexpectedPdus), offered, local, out string answer));
        Assert.Equal(expected, answer);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("4294967296")]
    public void MaxOutstandingUnexpectedPdus_OutsideTwoToMaxOrZero_IsRejected(string offered)
    {
        Assert.False(TextKeyNegotiation.TryRespond(Key(TextKeyTable.MaxOutstandingUnexpectedPdus), offered, "0", out string answer));
        Assert.Equal(TextValues.Reject, answer);
    }

    [Fact]
    public void Target_OverStreamMover_AnswersNoAndIrrelevant()
    {
        TargetLoginStateMachine machine = Machine(policy: TargetLoginPolicy.FromOptions(Options()));
        LoginResponse response = machine.Process(Request(Operational, FullFeature, s_kernelInitiatorOffer));

        AssertSuccess(response);
        Assert.Equal("No", Value(response, "RDMAExtensions"));
        Assert.Equal("Irrelevant", Value(response, "TargetRecvDataSegmentLength"));
        Assert.Equal("Irrelevant", Value(response, "InitiatorRecvDataSegmentLength"));
        Assert.Equal("Irrelevant", Value(response, "MaxOutstandingUnexpectedPDUs"));
    }

    [Fact]
    public void Target_OverRdmaMover_AcceptsTheKernelInitiatorsOffer()
    {
        var policy = TargetLoginPolicy.FromOptions(Options(), s_rdma with { MaxOutstandingUnexpectedPdus = 0 });
        TargetLoginStateMachine machine = Machine(policy: policy);
        LoginResponse response = machine.Process(Request(Operational, FullFeature, s_kernelInitiatorOffer));

        AssertSuccess(response);
        Assert.True(response.Transit);
        Assert.Equal("Yes", Value(response, "RDMAExtensions"));
        Assert.Equal("8192", Value(response, "TargetRecvDataSegmentLength"));
        Assert.Equal("262144", Value(response, "InitiatorRecvDataSegmentLength"));
        Assert.Equal("4", Value(response, "MaxOutstandingUnexpectedPDUs"));
        Assert.Equal("None", Value(response, "HeaderDigest"));
        Assert.Contains(new KeyValuePair<string, string>("RDMAExtensions", "Yes"), machine.Parameters.NegotiatedKeys);
        Assert.Contains(new KeyValuePair<string, string>("TargetRecvDataSegmentLength", "8192"), machine.Parameters.NegotiatedKeys);
    }

    [Fact]
    public void Target_OverRdmaMover_DiscoverySession_AnswersRdmaExtensionsIrrelevant()
    {
        TargetLoginStateMachine machine = Machine(policy: TargetLoginPolicy.FromOptions(Options(), s_rdma));
        LoginResponse response = machine.Process(Request(Operational, FullFeature,
            $"InitiatorName={InitiatorName}", "SessionType=Discovery", "RDMAExtensions=Yes"));

        AssertSuccess(response);
        Assert.Equal("Irrelevant", Value(response, "RDMAExtensions"));
    }

    [Fact]
    public void Initiator_OverRdmaMover_OffersIserKeysAndAgreesWithTarget()
    {
        var options = new IscsiSessionOptions { TargetName = TargetName, InitiatorName = InitiatorName };
        var initiator = new InitiatorLoginStateMachine(options, SessionType.Normal, new CountingRandom(), s_rdma);
        TargetLoginStateMachine target = Machine(policy: TargetLoginPolicy.FromOptions(Options(), s_rdma), bind: _ => SessionBinding.Accept(0x1234));

        InitiatorLoginRequest? request = initiator.Start();
        bool offered = false;
        while (request is not null)
        {
            var pairs = Text.TextKeyValuesOf(request.Data);
            offered |= pairs.TryGetValue("RDMAExtensions", out string rdma) && rdma == "Yes";
            LoginResponse response = target.Process(new LoginRequest
            {
                CurrentStage = (byte)request.CurrentStage,
                NextStage = (byte)request.NextStage,
                Transit = request.Transit,
                Isid = Isid,
                Data = request.Data,
            });
            request = initiator.Process(response);
        }

        Assert.True(offered);
        Assert.True(target.IsComplete);
        Assert.Contains(new KeyValuePair<string, string>("RDMAExtensions", "Yes"), initiator.Parameters.NegotiatedKeys);
        Assert.Contains(initiator.Parameters.NegotiatedKeys, p => p.Key == "InitiatorRecvDataSegmentLength");
        Assert.Contains(initiator.Parameters.NegotiatedKeys, p => p.Key == "TargetRecvDataSegmentLength");
    }

    [Fact]
    public void Initiator_OverStreamMover_OffersNoIserKeys()
    {
        var options = new IscsiSessionOptions { TargetName = TargetName, InitiatorName = InitiatorName };
        var initiator = new InitiatorLoginStateMachine(options, SessionType.Normal, new CountingRandom());
        TargetLoginStateMachine target = Machine(bind: _ => SessionBinding.Accept(0x1234));

        InitiatorLoginRequest? request = initiator.Start();
        while (request is not null)
        {
            var pairs = Text.TextKeyValuesOf(request.Data);
            Assert.False(pairs.ContainsKey("RDMAExtensions"));
            Assert.False(pairs.ContainsKey("InitiatorRecvDataSegmentLength"));
            request = initiator.Process(target.Process(new LoginRequest
            {
                CurrentStage = (byte)request.CurrentStage,
                NextStage = (byte)request.NextStage,
                Transit = request.Transit,
                Isid = Isid,
                Data = request.Data,
            }));
        }

        Assert.True(target.IsComplete);
    }

    private static class Text
    {
        public static TextKeyValues TextKeyValuesOf(ReadOnlyMemory<byte> data)
        {
            Assert.True(TextKeyValues.TryParse(data.Span, out TextKeyValues pairs, out TextParseStatus status), status.ToString());
            return pairs;
        }
    }
}
