using System.Text;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Login;
using NetScsi.Iscsi.Session;
using NetScsi.Iscsi.Tests.Login;
using NetScsi.Iscsi.Text;

namespace NetScsi.Iscsi.Tests.Initiator;

public sealed class InitiatorLoginStateMachineTests
{
    private static IscsiSessionOptions Options(Action<IscsiSessionOptions>? configure = null)
    {
        var options = new IscsiSessionOptions { TargetName = LoginTestKit.TargetName, InitiatorName = LoginTestKit.InitiatorName };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>Runs the initiator against NetScsi's target state machine until one of them finishes.</summary>
    private static (InitiatorLoginStateMachine Initiator, TargetLoginStateMachine Target) RunAgainstTarget(
        IscsiSessionOptions options, IscsiTargetOptions? targetOptions = null, TargetLoginPolicy? policy = null, SessionType type = SessionType.Normal)
    {
        var initiator = new InitiatorLoginStateMachine(options, type, new CountingRandom());
        var target = LoginTestKit.Machine(targetOptions, policy, bind: _ => SessionBinding.Accept(0x1234));
        InitiatorLoginRequest? request = initiator.Start();
        while (request is not null)
        {
            LoginResponse response = target.Process(ToTarget(request));
            request = initiator.Process(response);
        }

        return (initiator, target);
    }

    private static LoginRequest ToTarget(InitiatorLoginRequest request) => new()
    {
        CurrentStage = (byte)request.CurrentStage,
        NextStage = (byte)request.NextStage,
        Transit = request.Transit,
        Isid = LoginTestKit.Isid,
        Data = request.Data,
    };

    private static LoginResponse Response(LoginStage csg, LoginStage? nsg, params string[] pairs) => new()
    {
        CurrentStage = (byte)csg,
        NextStage = nsg is null ? (byte)0 : (byte)nsg.Value,
        Transit = nsg is not null,
        Data = LoginTestKit.Text(pairs),
        Tsih = 7,
    };

    [Fact]
    public void Start_WithoutChap_OffersAuthMethodNoneAndTransitsToOperational()
    {
        var machine = new InitiatorLoginStateMachine(Options());
        var request = machine.Start();
        Assert.Equal(LoginStage.SecurityNegotiation, request.CurrentStage);
        Assert.True(request.Transit);
        Assert.Equal(LoginStage.LoginOperationalNegotiation, request.NextStage);
        Assert.True(request.Keys.TryGetValue("AuthMethod", out string method));
        Assert.Equal("None", method);
        Assert.True(request.Keys.TryGetValue("TargetName", out string target));
        Assert.Equal(LoginTestKit.TargetName, target);
        Assert.True(request.Keys.TryGetValue("SessionType", out string type));
        Assert.Equal("Normal", type);
    }

    [Fact]
    public void Login_NoneAgainstTarget_CompletesWithNegotiatedValues()
    {
        var (initiator, target) = RunAgainstTarget(Options(o =>
        {
            o.HeaderDigest = true;
            o.DataDigest = true;
            o.MaxBurstLength = 4 * 1024 * 1024;
        }));
        Assert.True(initiator.IsComplete);
        Assert.True(target.IsComplete);
        Assert.Equal(0x1234, initiator.Tsih);
        var p = initiator.Parameters;
        Assert.True(p.HeaderDigest);
        Assert.True(p.DataDigest);
        Assert.Equal(1048576, p.MaxBurstLength); // the target's limit wins (Min)
        Assert.Equal(262144, p.TargetMaxRecvDataSegmentLength);
        Assert.Equal(262144, p.InitiatorMaxRecvDataSegmentLength);
        Assert.False(p.InitialR2T);
        Assert.True(p.ImmediateData);
        Assert.Equal(8, p.MaxOutstandingR2T);
        Assert.Equal(0, p.ErrorRecoveryLevel);
        Assert.Equal(1, p.MaxConnections);
        Assert.Equal(target.Parameters.MaxBurstLength, p.MaxBurstLength);
        Assert.Equal(target.Parameters.FirstBurstLength, p.FirstBurstLength);
        Assert.Equal(target.Parameters.InitiatorMaxRecvDataSegmentLength, p.InitiatorMaxRecvDataSegmentLength);
    }

    [Fact]
    public void Login_InitialR2TYesPreferred_IsYesOnBothSides()
    {
        var (initiator, target) = RunAgainstTarget(Options(o => o.InitialR2T = true));
        Assert.True(initiator.Parameters.InitialR2T);
        Assert.True(target.Parameters.InitialR2T);
    }

    [Fact]
    public void Login_Discovery_SendsNoTargetNameAndSkipsSessionKeys()
    {
        var options = Options(o => o.TargetName = null);
        var machine = new InitiatorLoginStateMachine(options, SessionType.Discovery);
        var request = machine.Start();
        Assert.False(request.Keys.ContainsKey("TargetName"));
        var (initiator, _) = RunAgainstTarget(options, type: SessionType.Discovery);
        Assert.True(initiator.IsComplete);
        Assert.Equal(SessionType.Discovery, initiator.Parameters.SessionType);
    }

    [Theory]
    [InlineData(ChapAlgorithm.Md5)]
    [InlineData(ChapAlgorithm.Sha1)]
    [InlineData(ChapAlgorithm.Sha256)]
    public void Login_OneWayChapAgainstTarget_Authenticates(ChapAlgorithm algorithm)
    {
        var targetOptions = LoginTestKit.Options(t => t.Chap = new ChapCredentials("alice", "alice-secret-12"));
        var (initiator, target) = RunAgainstTarget(Options(o =>
        {
            o.ChapUser = "alice";
            o.ChapSecret = "alice-secret-12";
            o.ChapAlgorithms = [algorithm];
        }), targetOptions);
        Assert.True(initiator.IsComplete);
        Assert.True(target.IsAuthenticated);
        Assert.Equal(algorithm, initiator.ChapAlgorithm);
        Assert.False(initiator.IsMutuallyAuthenticated);
    }

    [Fact]
    public void Login_MutualChapAgainstTarget_VerifiesTheTarget()
    {
        var targetOptions = LoginTestKit.Options(t =>
        {
            t.Chap = new ChapCredentials("alice", "alice-secret-12");
            t.MutualChap = new ChapCredentials("target-user", "target-secret-1");
        });
        var (initiator, target) = RunAgainstTarget(Options(o =>
        {
            o.ChapUser = "alice";
            o.ChapSecret = "alice-secret-12";
            o.MutualChapUser = "target-user";
            o.MutualChapSecret = "target-secret-1";
        }), targetOptions);
        Assert.True(initiator.IsComplete);
        Assert.True(initiator.IsMutuallyAuthenticated);
        Assert.True(target.IsMutuallyAuthenticated);
        Assert.Equal(ChapAlgorithm.Sha256, initiator.ChapAlgorithm);
    }

    [Fact]
    public void Login_MutualChapWithWrongTargetSecret_FailsWithAuthenticationFailure()
    {
        var targetOptions = LoginTestKit.Options(t =>
        {
            t.Chap = new ChapCredentials("alice", "alice-secret-12");
            t.MutualChap = new ChapCredentials("target-user", "an-impostor-secret");
        });
        var e = Assert.Throws<IscsiLoginException>(() => RunAgainstTarget(Options(o =>
        {
            o.ChapUser = "alice";
            o.ChapSecret = "alice-secret-12";
            o.MutualChapUser = "target-user";
            o.MutualChapSecret = "target-secret-1";
        }), targetOptions));
        Assert.Equal(LoginStatusCode.AuthenticationFailure, e.Status);
        Assert.False(e.ReportedByTarget);
    }

    [Fact]
    public void Login_ChapWithWrongSecret_SurfacesTargetsAuthenticationFailure()
    {
        var targetOptions = LoginTestKit.Options(t => t.Chap = new ChapCredentials("alice", "alice-secret-12"));
        var e = Assert.Throws<IscsiLoginException>(() => RunAgainstTarget(Options(o =>
        {
            o.ChapUser = "alice";
            o.ChapSecret = "wrong-secret-123";
        }), targetOptions));
        Assert.Equal(LoginStatusCode.AuthenticationFailure, e.Status);
        Assert.True(e.ReportedByTarget);
        Assert.True(e.IsPermanent);
    }

    [Fact]
    public void Login_TargetRequiresChapButNoneConfigured_Fails()
    {
        var targetOptions = LoginTestKit.Options(t => t.Chap = new ChapCredentials("alice", "alice-secret-12"));
        var e = Assert.Throws<IscsiLoginException>(() => RunAgainstTarget(Options(), targetOptions));
        Assert.Equal(LoginStatusCode.AuthenticationFailure, e.Status);
    }

    [Fact]
    public void ScriptedMutualChap_FollowsRfcExchangeAndChecksTargetResponse()
    {
        var options = Options(o =>
        {
            o.ChapUser = "alice";
            o.ChapSecret = "alice-secret-12";
            o.MutualChapUser = "tgt";
            o.MutualChapSecret = "tgt-secret-123";
            o.ChapAlgorithms = [ChapAlgorithm.Sha3_256, ChapAlgorithm.Sha256, ChapAlgorithm.Md5];
        });
        var machine = new InitiatorLoginStateMachine(options, SessionType.Normal, new CountingRandom());
        var first = machine.Start();
        Assert.False(first.Transit);
        Assert.True(first.Keys.TryGetValue("AuthMethod", out string methods));
        Assert.Equal("CHAP", methods);

        var second = machine.Process(Response(LoginStage.SecurityNegotiation, null, "AuthMethod=CHAP", "TargetPortalGroupTag=3"))!;
        Assert.True(second.Keys.TryGetValue("CHAP_A", out string algorithms));
        Assert.Equal(Chap.IsSupported(ChapAlgorithm.Sha3_256) ? "8,7,5" : "7,5", algorithms);

        byte[] challenge = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var third = machine.Process(Response(LoginStage.SecurityNegotiation, null, "CHAP_A=7", "CHAP_I=9", "CHAP_C=" + TextValues.FormatHex(challenge)))!;
        Assert.True(third.Transit);
        Assert.Equal(LoginStage.LoginOperationalNegotiation, third.NextStage);
        Assert.True(third.Keys.TryGetValue("CHAP_N", out string name));
        Assert.Equal("alice", name);
        Assert.True(third.Keys.TryGetValue("CHAP_R", out string chapR));
        Assert.True(TextValues.TryParseBinary(chapR, out byte[] r));
        Assert.True(Chap.VerifyResponse(ChapAlgorithm.Sha256, 9, "alice-secret-12", challenge, r));
        Assert.True(third.Keys.TryGetValue("CHAP_I", out string ourId));
        Assert.True(third.Keys.TryGetValue("CHAP_C", out string ourChallenge));
        Assert.True(TextValues.TryParseBinary(ourChallenge, out byte[] c));
        Assert.False(c.AsSpan().SequenceEqual(challenge));

        byte[] answer = Chap.ComputeResponse(ChapAlgorithm.Sha256, byte.Parse(ourId, System.Globalization.CultureInfo.InvariantCulture), "tgt-secret-123", c);
        var fourth = machine.Process(Response(LoginStage.SecurityNegotiation, LoginStage.LoginOperationalNegotiation,
            "CHAP_N=tgt", "CHAP_R=" + TextValues.FormatHex(answer)))!;
        Assert.True(machine.IsMutuallyAuthenticated);
        Assert.Equal(LoginStage.LoginOperationalNegotiation, fourth.CurrentStage);
        Assert.True(fourth.Keys.ContainsKey("HeaderDigest"));
        Assert.True(fourth.Keys.ContainsKey("ErrorRecoveryLevel"));
        Assert.Equal(3, machine.Parameters.TargetPortalGroupTag);
    }

    [Fact]
    public void ScriptedMutualChap_WrongTargetName_Fails()
    {
        var options = Options(o =>
        {
            o.ChapUser = "alice";
            o.ChapSecret = "alice-secret-12";
            o.MutualChapUser = "tgt";
            o.MutualChapSecret = "tgt-secret-123";
        });
        var machine = new InitiatorLoginStateMachine(options, SessionType.Normal, new CountingRandom());
        machine.Start();
        machine.Process(Response(LoginStage.SecurityNegotiation, null, "AuthMethod=CHAP"));
        var third = machine.Process(Response(LoginStage.SecurityNegotiation, null, "CHAP_A=5", "CHAP_I=1", "CHAP_C=0x0102030405060708"))!;
        third.Keys.TryGetValue("CHAP_I", out string ourId);
        third.Keys.TryGetValue("CHAP_C", out string ourChallenge);
        TextValues.TryParseBinary(ourChallenge, out byte[] c);
        byte[] answer = Chap.ComputeResponse(ChapAlgorithm.Md5, byte.Parse(ourId, System.Globalization.CultureInfo.InvariantCulture), "tgt-secret-123", c);
        var e = Assert.Throws<IscsiLoginException>(() => machine.Process(Response(LoginStage.SecurityNegotiation, LoginStage.LoginOperationalNegotiation,
            "CHAP_N=mallory", "CHAP_R=" + TextValues.FormatHex(answer))));
        Assert.Equal(LoginStatusCode.AuthenticationFailure, e.Status);
    }

    [Fact]
    public void ScriptedChap_AlgorithmNotOffered_Fails()
    {
        var machine = new InitiatorLoginStateMachine(Options(o =>
        {
            o.ChapUser = "alice";
            o.ChapSecret = "alice-secret-12";
            o.ChapAlgorithms = [ChapAlgorithm.Sha256];
        }));
        machine.Start();
        machine.Process(Response(LoginStage.SecurityNegotiation, null, "AuthMethod=CHAP"));
        var e = Assert.Throws<IscsiLoginException>(() => machine.Process(Response(LoginStage.SecurityNegotiation, null, "CHAP_A=5", "CHAP_I=1", "CHAP_C=0x0102")));
        Assert.Contains("CHAP_A=5", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Operational_TargetOffersAndNotUnderstood_AreHandled()
    {
        var machine = new InitiatorLoginStateMachine(Options());
        machine.Start();
        machine.Process(Response(LoginStage.SecurityNegotiation, LoginStage.LoginOperationalNegotiation, "AuthMethod=None"));
        // The target answers some offers, says NotUnderstood to one, rejects another, and offers a key of its own.
        var next = machine.Process(Response(LoginStage.LoginOperationalNegotiation, null,
            "HeaderDigest=None", "DataDigest=None", "MaxRecvDataSegmentLength=65536", "MaxBurstLength=131072",
            "FirstBurstLength=65536", "InitialR2T=Yes", "ImmediateData=NotUnderstood", "MaxOutstandingR2T=Reject",
            "X-com.example.Key=1", "IFMarker=No"))!;
        Assert.True(next.Transit);
        Assert.True(next.Keys.TryGetValue("X-com.example.Key", out string unknown));
        Assert.Equal("NotUnderstood", unknown);
        Assert.Null(machine.Process(Response(LoginStage.LoginOperationalNegotiation, LoginStage.FullFeaturePhase)));
        var p = machine.Parameters;
        Assert.Equal(65536, p.TargetMaxRecvDataSegmentLength);
        Assert.Equal(131072, p.MaxBurstLength);
        Assert.True(p.InitialR2T);
        Assert.True(p.ImmediateData); // default kept
        Assert.Equal(1, p.MaxOutstandingR2T); // default kept
        Assert.Equal(7, machine.Tsih);
    }

    [Fact]
    public void Operational_AnswerAboveOurMinimumOffer_Fails()
    {
        var machine = new InitiatorLoginStateMachine(Options(o => o.MaxBurstLength = 65536));
        machine.Start();
        machine.Process(Response(LoginStage.SecurityNegotiation, LoginStage.LoginOperationalNegotiation, "AuthMethod=None"));
        var e = Assert.Throws<IscsiLoginException>(() => machine.Process(Response(LoginStage.LoginOperationalNegotiation, null, "MaxBurstLength=1048576")));
        Assert.Contains("MaxBurstLength", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x0201, LoginStatusCode.AuthenticationFailure)]
    [InlineData(0x0203, LoginStatusCode.NotFound)]
    [InlineData(0x0301, LoginStatusCode.ServiceUnavailable)]
    public void Process_ErrorStatus_ThrowsTypedException(int raw, LoginStatusCode expected)
    {
        var machine = new InitiatorLoginStateMachine(Options());
        machine.Start();
        var e = Assert.Throws<IscsiLoginException>(() => machine.Process(new LoginResponse { StatusClass = (byte)(raw >> 8), StatusDetail = (byte)raw }));
        Assert.Equal(expected, e.Status);
        Assert.True(e.ReportedByTarget);
    }

    [Fact]
    public void Process_Redirect_ReportsTargetAddress()
    {
        var machine = new InitiatorLoginStateMachine(Options());
        machine.Start();
        var e = Assert.Throws<IscsiLoginRedirectException>(() => machine.Process(new LoginResponse
        {
            StatusClass = 1,
            StatusDetail = 1,
            Data = Encoding.UTF8.GetBytes("TargetAddress=10.1.1.1:3260,2\0"),
        }));
        Assert.Equal("10.1.1.1:3260,2", e.TargetAddress);
        Assert.Equal(LoginStatusCode.TargetMovedTemporarily, e.Status);
        Assert.Contains("10.1.1.1:3260,2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Process_ContinuedResponse_AsksForTheRest()
    {
        var machine = new InitiatorLoginStateMachine(Options());
        machine.Start();
        var partial = new LoginResponse { CurrentStage = 0, Continue = true, Data = Encoding.UTF8.GetBytes("AuthMeth") };
        var more = machine.Process(partial)!;
        Assert.False(more.Transit);
        Assert.Empty(more.Data);
        var next = machine.Process(new LoginResponse { CurrentStage = 0, Transit = true, NextStage = 1, Data = Encoding.UTF8.GetBytes("od=None\0") })!;
        Assert.Equal(LoginStage.LoginOperationalNegotiation, next.CurrentStage);
    }
}
