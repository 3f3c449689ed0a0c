using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Login;
using NetScsi.Iscsi.Session;
using static NetScsi.Iscsi.Tests.Login.LoginTestKit;

namespace NetScsi.Iscsi.Tests.Login;

public sealed class TargetLoginStateMachineTests
{
    private const LoginStage Security = LoginStage.SecurityNegotiation;
    private const LoginStage Operational = LoginStage.LoginOperationalNegotiation;
    private const LoginStage FullFeature = LoginStage.FullFeaturePhase;

    private static readonly string[] s_identity = [$"InitiatorName={InitiatorName}", $"TargetName={TargetName}", "SessionType=Normal"];

    private static string[] With(params string[] extra) => [.. s_identity, .. extra];

    [Fact]
    public void NoneAuth_StraightToOperationalStage_ReachesFullFeature()
    {
        TargetLoginStateMachine machine = Machine();
        LoginResponse response = machine.Process(Request(Operational, FullFeature,
            With("HeaderDigest=CRC32C,None", "DataDigest=None", "MaxRecvDataSegmentLength=65536", "MaxBurstLength=524288", "FirstBurstLength=65536")));

        AssertSuccess(response);
        Assert.True(response.Transit);
        Assert.Equal((byte)Operational, response.CurrentStage);
        Assert.Equal((byte)FullFeature, response.NextStage);
        Assert.True(response.IsFinal);
        Assert.True(machine.IsComplete);
        Assert.Equal("1", Value(response, "TargetPortalGroupTag"));
        Assert.Equal("262144", Value(response, "MaxRecvDataSegmentLength"));
        Assert.Equal("CRC32C", Value(response, "HeaderDigest"));
        Assert.Equal("None", Value(response, "DataDigest"));
        Assert.Equal("524288", Value(response, "MaxBurstLength"));

        IscsiSessionParameters p = machine.Parameters;
        Assert.True(p.HeaderDigest);
        Assert.False(p.DataDigest);
        Assert.Equal(65536, p.InitiatorMaxRecvDataSegmentLength);
        Assert.Equal(262144, p.TargetMaxRecvDataSegmentLength);
        Assert.Equal(524288, p.MaxBurstLength);
        Assert.Equal(InitiatorName, machine.InitiatorName);
        Assert.Equal(TargetName, machine.Target!.Name);
        Assert.True(machine.IsLeadingConnection);
        Assert.True(machine.IsAuthenticated);
    }

    [Fact]
    public void NoneAuth_SecurityThenOperational_TransitsTwice()
    {
        TargetLoginStateMachine machine = Machine();
        LoginResponse first = machine.Process(Request(Security, Operational, With("AuthMethod=None")));
        AssertSuccess(first);
        Assert.Equal("None", Value(first, "AuthMethod"));
        Assert.True(first.Transit);
        Assert.Equal((byte)Operational, first.NextStage);
        Assert.Equal(Operational, machine.Stage);

        LoginResponse second = machine.Process(Request(Operational, FullFeature, "InitialR2T=No", "ImmediateData=Yes"));
        AssertSuccess(second);
        Assert.True(second.IsFinal);
        Assert.Equal("No", Value(second, "InitialR2T"));
        Assert.Equal("Yes", Value(second, "ImmediateData"));
        Assert.False(machine.Parameters.InitialR2T);
    }

    [Fact]
    public void NoneAuth_TargetSetsTransitOnlyWhenInitiatorDid()
    {
        TargetLoginStateMachine machine = Machine();
        LoginResponse response = machine.Process(Request(Operational, null, With("MaxBurstLength=65536")));
        AssertSuccess(response);
        Assert.False(response.Transit);
        Assert.False(machine.IsComplete);

        response = machine.Process(Request(Operational, FullFeature));
        Assert.True(response.IsFinal);
    }

    [Fact]
    public void NoneAuth_SecurityToFullFeatureDirectly_Completes()
    {
        TargetLoginStateMachine machine = Machine();
        LoginResponse response = machine.Process(Request(Security, FullFeature, With("AuthMethod=None")));
        Assert.True(response.IsFinal);
        Assert.Equal(8192, machine.Parameters.TargetMaxRecvDataSegmentLength); // never declared: RFC default
    }

    [Fact]
    public void MissingInitiatorName_Fails0207()
    {
        LoginResponse response = Machine().Process(Request(Security, Operational, $"TargetName={TargetName}", "AuthMethod=None"));
        Assert.Equal(LoginStatusCode.MissingParameter, response.Status);
        Assert.Empty(response.Data);
    }

    [Fact]
    public void NormalSessionWithoutTargetName_Fails0207()
    {
        LoginResponse response = Machine().Process(Request(Security, Operational, $"InitiatorName={InitiatorName}", "AuthMethod=None"));
        Assert.Equal(LoginStatusCode.MissingParameter, response.Status);
    }

    [Fact]
    public void UnknownTarget_Fails0203()
    {
        TargetLoginStateMachine machine = Machine();
        LoginResponse response = machine.Process(Request(Security, Operational, $"InitiatorName={InitiatorName}", "TargetName=iqn.2024-01.net.netscsi:nope"));
        Assert.Equal(LoginStatusCode.NotFound, response.Status);
        Assert.Equal(2, response.StatusClass);
        Assert.Equal(3, response.StatusDetail);
        Assert.True(machine.Failed);
    }

    [Fact]
    public void TargetName_ComparedCaseInsensitively()
    {
        LoginResponse response = Machine().Process(Request(Operational, FullFeature, $"InitiatorName={InitiatorName}", $"TargetName={TargetName.ToUpperInvariant()}"));
        Assert.True(response.IsFinal);
    }

    [Fact]
    public void AclDeniesInitiator_Fails0202()
    {
        IscsiTargetOptions options = Options(t => t.Acls.Add(new InitiatorAcl("iqn.2000-01.com.other:host")));
        LoginResponse response = Machine(options).Process(Request(Security, Operational, With("AuthMethod=None")));
        Assert.Equal(LoginStatusCode.AuthorizationFailure, response.Status);
    }

    [Fact]
    public void AclAdmitsInitiator_ReportsMatchedAcl()
    {
        var acl = new InitiatorAcl(InitiatorName, [0]);
        IscsiTargetOptions options = Options(t => t.Acls.Add(acl));
        TargetLoginStateMachine machine = Machine(options);
        Assert.True(machine.Process(Request(Operational, FullFeature, s_identity)).IsFinal);
        Assert.Same(acl, machine.Acl);
    }

    [Fact]
    public void DiscoverySession_WithoutTargetName_Succeeds()
    {
        TargetLoginStateMachine machine = Machine();
        LoginResponse first = machine.Process(Request(Security, Operational, $"InitiatorName={InitiatorName}", "SessionType=Discovery", "AuthMethod=None"));
        AssertSuccess(first);
        Assert.False(Keys(first).ContainsKey("TargetPortalGroupTag"));

        LoginResponse second = machine.Process(Request(Operational, FullFeature, "HeaderDigest=None", "MaxBurstLength=65536", "MaxRecvDataSegmentLength=32768"));
        Assert.True(second.IsFinal);
        Assert.Equal("Irrelevant", Value(second, "MaxBurstLength"));
        Assert.Equal(SessionType.Discovery, machine.SessionType);
        Assert.Null(machine.Target);
        Assert.Equal(32768, machine.Parameters.InitiatorMaxRecvDataSegmentLength);
    }

    [Fact]
    public void UnknownSessionType_Fails0209() =>
        Assert.Equal(LoginStatusCode.SessionTypeNotSupported,
            Machine().Process(Request(Security, Operational, $"InitiatorName={InitiatorName}", "SessionType=Bogus")).Status);

    [Fact]
    public void VersionMinAboveZero_Fails0205()
    {
        LoginRequest request = Request(Security, Operational, With("AuthMethod=None")) with { VersionMax = 2, VersionMin = 1 };
        Assert.Equal(LoginStatusCode.UnsupportedVersion, Machine().Process(request).Status);
    }

    [Fact]
    public void TransitAndContinueTogether_FailsInitiatorError()
    {
        LoginRequest request = Request(Security, Operational, With("AuthMethod=None")) with { Continue = true };
        Assert.Equal(LoginStatusCode.InitiatorError, Machine().Process(request).Status);
    }

    [Theory]
    [InlineData(LoginStage.FullFeaturePhase, null)]
    [InlineData(LoginStage.LoginOperationalNegotiation, LoginStage.LoginOperationalNegotiation)]
    [InlineData(LoginStage.LoginOperationalNegotiation, LoginStage.SecurityNegotiation)]
    public void InvalidStageTransition_FailsInitiatorError(LoginStage csg, LoginStage? nsg) =>
        Assert.Equal(LoginStatusCode.InitiatorError, Machine().Process(Request(csg, nsg, s_identity)).Status);

    [Fact]
    public void ReservedNextStage2_FailsInitiatorError()
    {
        LoginRequest request = Request(Security, Operational, With("AuthMethod=None")) with { NextStage = 2 };
        Assert.Equal(LoginStatusCode.InitiatorError, Machine().Process(request).Status);
    }

    [Fact]
    public void CurrentStageNotMatchingMachine_FailsInitiatorError()
    {
        TargetLoginStateMachine machine = Machine();
        AssertSuccess(machine.Process(Request(Security, null, With("AuthMethod=None"))));
        Assert.Equal(LoginStatusCode.InitiatorError, machine.Process(Request(Operational, FullFeature)).Status);
    }

    [Fact]
    public void IsidChangingDuringLogin_FailsInitiatorError()
    {
        TargetLoginStateMachine machine = Machine();
        AssertSuccess(machine.Process(Request(Security, null, With("AuthMethod=None"))));
        Assert.Equal(LoginStatusCode.InitiatorError, machine.Process(Request(Security, Operational) with { Isid = 0x1234 }).Status);
    }

    [Fact]
    public void DuplicateKey_FailsLogin() =>
        Assert.Equal(LoginStatusCode.InitiatorError,
            Machine().Process(Request(Operational, FullFeature, With("MaxBurstLength=65536", "MaxBurstLength=65536"))).Status);

    [Fact]
    public void KeyRenegotiatedInLaterRequest_FailsLogin()
    {
        TargetLoginStateMachine machine = Machine();
        AssertSuccess(machine.Process(Request(Operational, null, With("MaxBurstLength=65536"))));
        Assert.Equal(LoginStatusCode.InitiatorError, machine.Process(Request(Operational, FullFeature, "MaxBurstLength=32768")).Status);
    }

    [Fact]
    public void UnknownKey_AnswersNotUnderstood()
    {
        LoginResponse response = Machine().Process(Request(Operational, FullFeature, With("FooBar=1", "X-com.example.Thing=7", "X#NodeArchitecture=linux")));
        Assert.True(response.IsFinal);
        Assert.Equal("NotUnderstood", Value(response, "FooBar"));
        Assert.Equal("NotUnderstood", Value(response, "X-com.example.Thing"));
        Assert.Equal("NotUnderstood", Value(response, "X#NodeArchitecture"));
    }

    [Fact]
    public void InvalidValue_AnswersRejectAndKeepsDefault()
    {
        TargetLoginStateMachine machine = Machine();
        LoginResponse response = machine.Process(Request(Operational, FullFeature, With("MaxBurstLength=100", "InitialR2T=maybe")));
        Assert.True(response.IsFinal);
        Assert.Equal("Reject", Value(response, "MaxBurstLength"));
        Assert.Equal("Reject", Value(response, "InitialR2T"));
        Assert.Equal(262144, machine.Parameters.MaxBurstLength);
    }

    [Fact]
    public void TargetOnlyKeyFromInitiator_AnswersReject()
    {
        LoginResponse response = Machine().Process(Request(Operational, FullFeature, With("TargetPortalGroupTag=5", "TargetAddress=10.0.0.1")));
        Assert.Equal("1", Value(response, "TargetPortalGroupTag")); // our declaration, not an echo
        Assert.Single(Keys(response), p => p.Key == "TargetPortalGroupTag");
        Assert.Equal("Reject", Value(response, "TargetAddress"));
    }

    [Fact]
    public void OperationalKeyInSecurityStage_FailsLogin() =>
        Assert.Equal(LoginStatusCode.InitiatorError,
            Machine().Process(Request(Security, Operational, With("AuthMethod=None", "MaxBurstLength=65536"))).Status);

    [Fact]
    public void SecurityKeyInOperationalStage_FailsLogin() =>
        Assert.Equal(LoginStatusCode.InitiatorError,
            Machine().Process(Request(Operational, FullFeature, With("AuthMethod=None"))).Status);

    [Fact]
    public void SendTargetsDuringLogin_FailsLogin() =>
        Assert.Equal(LoginStatusCode.InitiatorError,
            Machine().Process(Request(Operational, FullFeature, With("SendTargets=All"))).Status);

    [Fact]
    public void ObsoleteMarkerKeys_AnsweredNoAndReject()
    {
        LoginResponse response = Machine().Process(Request(Operational, FullFeature, With("IFMarker=No", "OFMarker=Yes", "OFMarkInt=2048~8192")));
        Assert.Equal("No", Value(response, "IFMarker"));
        Assert.Equal("No", Value(response, "OFMarker"));
        Assert.Equal("Reject", Value(response, "OFMarkInt"));
    }

    [Fact]
    public void MaxConnectionsAboveTheLimit_AnswersTheConfiguredFour_AndErrorRecoveryLevelZero()
    {
        TargetLoginStateMachine machine = Machine();
        LoginResponse response = machine.Process(Request(Operational, FullFeature, With("MaxConnections=8", "ErrorRecoveryLevel=2", "iSCSIProtocolLevel=2", "TaskReporting=FastAbort,RFC3720")));
        Assert.Equal("4", Value(response, "MaxConnections"));
        Assert.Equal("0", Value(response, "ErrorRecoveryLevel"));
        Assert.Equal("1", Value(response, "iSCSIProtocolLevel"));
        Assert.Equal("RFC3720", Value(response, "TaskReporting"));
        Assert.Equal(4, machine.Parameters.MaxConnections);
        Assert.Equal(0, machine.Parameters.ErrorRecoveryLevel);
    }

    [Fact]
    public void MaxConnectionsBelowTheLimit_TheInitiatorsOfferWins()
    {
        TargetLoginStateMachine machine = Machine();
        LoginResponse response = machine.Process(Request(Operational, FullFeature, With("MaxConnections=2")));
        Assert.Equal("2", Value(response, "MaxConnections"));
        Assert.Equal(2, machine.Parameters.MaxConnections);
    }

    [Fact]
    public void Negotiation_FirstBurstAboveMaxBurst_ClampsFirstBurstToMaxBurst()
    {
        TargetLoginStateMachine machine = Machine();
        LoginResponse response = machine.Process(Request(Operational, FullFeature, With("FirstBurstLength=262144", "MaxBurstLength=65536")));
        Assert.Equal("65536", Value(response, "MaxBurstLength"));
        Assert.Equal("65536", Value(response, "FirstBurstLength"));
        Assert.Equal(65536, machine.Parameters.FirstBurstLength);
    }

    [Fact]
    public void Negotiation_BurstLimitsOfTarget_AppliedAsMinimum()
    {
        var policy = new TargetLoginPolicy { MaxBurstLength = 131072, FirstBurstLength = 32768 };
        TargetLoginStateMachine machine = Machine(policy: policy);
        LoginResponse response = machine.Process(Request(Operational, FullFeature, With("MaxBurstLength=16776192", "FirstBurstLength=262144")));
        Assert.Equal("131072", Value(response, "MaxBurstLength"));
        Assert.Equal("32768", Value(response, "FirstBurstLength"));
    }

    [Fact]
    public void TargetLimitBelowRfcDefault_TargetOffersItsValueBeforeTransit()
    {
        var policy = new TargetLoginPolicy { MaxBurstLength = 65536, FirstBurstLength = 16384 };
        TargetLoginStateMachine machine = Machine(policy: policy);

        LoginResponse offer = machine.Process(Request(Operational, FullFeature, s_identity));
        AssertSuccess(offer);
        Assert.False(offer.Transit); // our own negotiation is not done
        Assert.Equal("65536", Value(offer, "MaxBurstLength"));
        Assert.Equal("16384", Value(offer, "FirstBurstLength"));

        LoginResponse final = machine.Process(Request(Operational, FullFeature, "MaxBurstLength=65536", "FirstBurstLength=8192"));
        Assert.True(final.IsFinal);
        Assert.Equal(65536, machine.Parameters.MaxBurstLength);
        Assert.Equal(8192, machine.Parameters.FirstBurstLength);
    }

    [Fact]
    public void TargetOffer_AnswerAboveOffer_FailsLogin()
    {
        var policy = new TargetLoginPolicy { MaxBurstLength = 65536 };
        TargetLoginStateMachine machine = Machine(policy: policy);
        machine.Process(Request(Operational, FullFeature, s_identity));
        Assert.Equal(LoginStatusCode.InitiatorError, machine.Process(Request(Operational, FullFeature, "MaxBurstLength=262144")).Status);
    }

    [Fact]
    public void SecurityToFullFeature_WithOffersPending_TargetAnswersNextStageOperational()
    {
        var policy = new TargetLoginPolicy { MaxBurstLength = 65536 };
        TargetLoginStateMachine machine = Machine(policy: policy);
        LoginResponse response = machine.Process(Request(Security, FullFeature, With("AuthMethod=None")));
        Assert.True(response.Transit);
        Assert.Equal((byte)Operational, response.NextStage);
        Assert.False(machine.IsComplete);
    }

    [Fact]
    public void DeclaresTargetAliasWhenConfigured()
    {
        IscsiTargetOptions options = new();
        options.Targets.Add(new TargetDefinition { Name = TargetName, Alias = "disk one" });
        LoginResponse response = Machine(options).Process(Request(Operational, FullFeature, s_identity));
        Assert.Equal("disk one", Value(response, "TargetAlias"));
    }

    [Fact]
    public void ContinueBit_AccumulatesTextAndAnswersEmptyUntilComplete()
    {
        TargetLoginStateMachine machine = Machine();
        byte[] text = LoginTestKit.Text(With("MaxBurstLength=65536"));
        LoginRequest part1 = new() { CurrentStage = 1, Continue = true, Isid = Isid, Data = text.AsMemory(0, 20) };
        LoginResponse r1 = machine.Process(part1);
        AssertSuccess(r1);
        Assert.Empty(r1.Data);
        Assert.False(r1.Transit);

        LoginRequest part2 = new() { CurrentStage = 1, NextStage = 3, Transit = true, Isid = Isid, Data = text.AsMemory(20) };
        LoginResponse r2 = machine.Process(part2);
        Assert.True(r2.IsFinal);
        Assert.Equal("65536", Value(r2, "MaxBurstLength"));
    }

    [Fact]
    public void SessionBinding_CalledOnceWithIsidAndSuppliesTsih()
    {
        SessionBindingRequest? seen = null;
        int calls = 0;
        TargetLoginStateMachine machine = Machine(bind: r =>
        {
            calls++;
            seen = r;
            return SessionBinding.Accept(0x1234);
        });

        LoginResponse response = machine.Process(Request(Operational, FullFeature, s_identity));
        Assert.True(response.IsFinal);
        Assert.Equal(0x1234, response.Tsih);
        Assert.Equal(0x1234, machine.Tsih);
        Assert.Equal(1, calls);
        Assert.NotNull(seen);
        Assert.Equal(Isid, seen.Isid);
        Assert.True(seen.IsNewSession);
        Assert.Equal(InitiatorName, seen.InitiatorName);
        Assert.Equal(TargetName, seen.Target!.Name);
    }

    [Fact]
    public void SessionBinding_Refused_FailsWithEngineStatus()
    {
        TargetLoginStateMachine machine = Machine(bind: _ => SessionBinding.Refuse(LoginStatusCode.SessionDoesNotExist));
        LoginResponse response = machine.Process(Request(Operational, FullFeature, s_identity) with { Tsih = 7 });
        Assert.Equal(LoginStatusCode.SessionDoesNotExist, response.Status);
        Assert.True(machine.Failed);
        Assert.False(machine.IsComplete);
    }

    [Fact]
    public void NonLeadingConnection_LeadingOnlyKeysAnsweredIrrelevant()
    {
        TargetLoginStateMachine machine = Machine();
        LoginResponse response = machine.Process(Request(Operational, FullFeature, With("MaxBurstLength=65536", "HeaderDigest=CRC32C")) with { Tsih = 9 });
        Assert.False(machine.IsLeadingConnection);
        Assert.Equal("Irrelevant", Value(response, "MaxBurstLength"));
        Assert.Equal("CRC32C", Value(response, "HeaderDigest")); // connection-scoped: still negotiated
    }

    [Fact]
    public void AfterFailure_FurtherRequestsFail()
    {
        TargetLoginStateMachine machine = Machine();
        machine.Process(Request(Security, Operational, "TargetName=x"));
        Assert.True(machine.Failed);
        Assert.NotEqual(0, machine.Process(Request(Security, Operational, With("AuthMethod=None"))).StatusClass);
    }

    [Fact]
    public void MalformedText_FailsInitiatorError()
    {
        LoginRequest request = new() { CurrentStage = 1, NextStage = 3, Transit = true, Isid = Isid, Data = "InitiatorName"u8.ToArray() };
        Assert.Equal(LoginStatusCode.InitiatorError, Machine().Process(request).Status);
    }
}
