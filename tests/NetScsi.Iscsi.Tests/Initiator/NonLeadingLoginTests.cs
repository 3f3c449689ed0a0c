using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Login;
using NetScsi.Iscsi.Session;
using NetScsi.Iscsi.Tests.Login;
using NetScsi.Iscsi.Text;

namespace NetScsi.Iscsi.Tests.Initiator;

/// <summary>Logins that add a connection to a running session (MC/S, RFC 7143 §6.3.1, §13 "LO" keys).</summary>
public sealed class NonLeadingLoginTests
{
    private static IscsiSessionOptions Options(Action<IscsiSessionOptions>? configure = null)
    {
        var options = new IscsiSessionOptions { TargetName = LoginTestKit.TargetName, InitiatorName = LoginTestKit.InitiatorName };
        configure?.Invoke(options);
        return options;
    }

    private static LoginResponse Response(LoginStage csg, LoginStage? nsg, params string[] pairs) => new()
    {
        CurrentStage = (byte)csg,
        NextStage = nsg is null ? (byte)0 : (byte)nsg.Value,
        Transit = nsg is not null,
        Data = LoginTestKit.Text(pairs),
        Tsih = 7,
    };

    /// <summary>What a leading login settled: values unlike the defaults, so a test sees whether they survive.</summary>
    private static IscsiSessionParameters Leading()
    {
        var p = new IscsiSessionParameters { TargetName = LoginTestKit.TargetName, InitiatorName = LoginTestKit.InitiatorName };
        p.ApplyNegotiated(TextKeyTable.MaxConnections, "4");
        p.ApplyNegotiated(TextKeyTable.InitialR2T, "No");
        p.ApplyNegotiated(TextKeyTable.ImmediateData, "Yes");
        p.ApplyNegotiated(TextKeyTable.MaxBurstLength, "1048576");
        p.ApplyNegotiated(TextKeyTable.FirstBurstLength, "131072");
        p.ApplyNegotiated(TextKeyTable.MaxOutstandingR2T, "8");
        p.ApplyNegotiated(TextKeyTable.HeaderDigest, "CRC32C");
        p.TargetMaxRecvDataSegmentLength = 65536;
        return p;
    }

    private static List<string> LeadingOnlyKeys(InitiatorLoginRequest request)
    {
        var found = new List<string>();
        foreach (TextKeyValue pair in request.Keys)
        {
            if (TextKeyTable.TryGet(pair.Key, out TextKeyDefinition definition) && definition.Use == TextKeyUse.LeadingOnly)
            {
                found.Add(pair.Key);
            }
        }

        return found;
    }

    [Fact]
    public void LeadingLogin_OffersMaxConnectionsFromOptions()
    {
        var machine = new InitiatorLoginStateMachine(Options(o => o.Connections = 4));
        machine.Start();
        var operational = machine.Process(Response(LoginStage.SecurityNegotiation, LoginStage.LoginOperationalNegotiation, "AuthMethod=None"))!;
        Assert.True(machine.IsLeading);
        Assert.True(operational.Keys.TryGetValue("MaxConnections", out string offered));
        Assert.Equal("4", offered);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(17)]
    public void Connections_OutsideOneToSixteen_ThrowsArgumentOutOfRange(int value)
    {
        var options = new IscsiSessionOptions();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => options.Connections = value);
        Assert.Contains("1 to 16", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, options.Connections);
    }

    [Fact]
    public void NonLeadingLogin_FirstRequest_NamesInitiatorAndTargetButNotSessionType()
    {
        var machine = new InitiatorLoginStateMachine(Options(), leadingParameters: Leading());
        var request = machine.Start();
        Assert.False(machine.IsLeading);
        Assert.True(request.Keys.TryGetValue("InitiatorName", out string initiator));
        Assert.Equal(LoginTestKit.InitiatorName, initiator);
        Assert.True(request.Keys.TryGetValue("TargetName", out string target));
        Assert.Equal(LoginTestKit.TargetName, target);
        Assert.False(request.Keys.ContainsKey("SessionType"));
        Assert.Empty(LeadingOnlyKeys(request));
    }

    [Fact]
    public void NonLeadingLogin_OffersOnlyConnectionScopedKeys_AndKeepsTheSessionValues()
    {
        var machine = new InitiatorLoginStateMachine(Options(o =>
        {
            o.Connections = 4;
            o.HeaderDigest = true;
            o.MaxBurstLength = 262144; // would lower the session's MaxBurstLength if it were sent
        }), leadingParameters: Leading());
        machine.Start();
        var operational = machine.Process(Response(LoginStage.SecurityNegotiation, LoginStage.LoginOperationalNegotiation, "AuthMethod=None"))!;
        Assert.Empty(LeadingOnlyKeys(operational));
        Assert.True(operational.Keys.ContainsKey("HeaderDigest"));
        Assert.True(operational.Keys.ContainsKey("DataDigest"));
        Assert.True(operational.Keys.ContainsKey("MaxRecvDataSegmentLength"));
        foreach (string key in new[] { "MaxConnections", "InitialR2T", "ImmediateData", "MaxBurstLength", "FirstBurstLength", "MaxOutstandingR2T",
            "DataPDUInOrder", "DataSequenceInOrder", "ErrorRecoveryLevel", "DefaultTime2Wait", "DefaultTime2Retain" })
        {
            Assert.False(operational.Keys.ContainsKey(key), key);
        }

        Assert.Null(machine.Process(Response(LoginStage.LoginOperationalNegotiation, LoginStage.FullFeaturePhase,
            "HeaderDigest=CRC32C", "DataDigest=None", "MaxRecvDataSegmentLength=32768")));
        var p = machine.Parameters;
        Assert.True(p.HeaderDigest);
        Assert.False(p.DataDigest);
        Assert.Equal(32768, p.TargetMaxRecvDataSegmentLength); // this connection's declaration, not the leading one's
        Assert.Equal(4, p.MaxConnections);
        Assert.False(p.InitialR2T);
        Assert.Equal(1048576, p.MaxBurstLength);
        Assert.Equal(131072, p.FirstBurstLength);
        Assert.Equal(8, p.MaxOutstandingR2T);
    }

    [Fact]
    public void NonLeadingLogin_DigestsNotOffered_StartFromNoneNotTheLeadingConnections()
    {
        var machine = new InitiatorLoginStateMachine(Options(), leadingParameters: Leading());
        machine.Start();
        machine.Process(Response(LoginStage.SecurityNegotiation, LoginStage.LoginOperationalNegotiation, "AuthMethod=None"));
        Assert.Null(machine.Process(Response(LoginStage.LoginOperationalNegotiation, LoginStage.FullFeaturePhase, "HeaderDigest=None", "DataDigest=None")));
        Assert.False(machine.Parameters.HeaderDigest);
        Assert.Equal(8192, machine.Parameters.TargetMaxRecvDataSegmentLength); // §13.12: no declaration, the default
    }

    [Fact]
    public void NonLeadingLogin_TargetOffersALeadingOnlyKey_AnswersIrrelevantAndKeepsTheSessionValue()
    {
        var machine = new InitiatorLoginStateMachine(Options(), leadingParameters: Leading());
        machine.Start();
        machine.Process(Response(LoginStage.SecurityNegotiation, LoginStage.LoginOperationalNegotiation, "AuthMethod=None"));
        var next = machine.Process(Response(LoginStage.LoginOperationalNegotiation, null, "HeaderDigest=None", "DataDigest=None", "MaxBurstLength=65536"))!;
        Assert.True(next.Keys.TryGetValue("MaxBurstLength", out string answer));
        Assert.Equal("Irrelevant", answer);
        Assert.Null(machine.Process(Response(LoginStage.LoginOperationalNegotiation, LoginStage.FullFeaturePhase)));
        Assert.Equal(1048576, machine.Parameters.MaxBurstLength);
    }

    [Fact]
    public void NonLeadingLogin_WithChap_AuthenticatesLikeTheLeadingLogin()
    {
        var machine = new InitiatorLoginStateMachine(Options(o =>
        {
            o.ChapUser = "alice";
            o.ChapSecret = "alice-secret-12";
            o.ChapAlgorithms = [ChapAlgorithm.Sha256];
        }), leadingParameters: Leading());
        var first = machine.Start();
        Assert.True(first.Keys.TryGetValue("AuthMethod", out string methods));
        Assert.Equal("CHAP,None", methods);
        var second = machine.Process(Response(LoginStage.SecurityNegotiation, null, "AuthMethod=CHAP"))!;
        Assert.True(second.Keys.TryGetValue("CHAP_A", out string algorithms));
        Assert.Equal("7", algorithms);
        byte[] challenge = [1, 2, 3, 4, 5, 6, 7, 8];
        var third = machine.Process(Response(LoginStage.SecurityNegotiation, null, "CHAP_A=7", "CHAP_I=3", "CHAP_C=" + TextValues.FormatHex(challenge)))!;
        Assert.True(third.Keys.TryGetValue("CHAP_R", out string chapR));
        Assert.True(TextValues.TryParseBinary(chapR, out byte[] r));
        Assert.True(Chap.VerifyResponse(ChapAlgorithm.Sha256, 3, "alice-secret-12", challenge, r));
        var operational = machine.Process(Response(LoginStage.SecurityNegotiation, LoginStage.LoginOperationalNegotiation))!;
        Assert.Empty(LeadingOnlyKeys(operational));
        Assert.Null(machine.Process(Response(LoginStage.LoginOperationalNegotiation, LoginStage.FullFeaturePhase)));
        Assert.Equal(LoginAuthentication.Chap, machine.Authentication);
    }

    [Fact]
    public void NonLeadingLogin_ForADiscoverySession_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new InitiatorLoginStateMachine(Options(o => o.TargetName = null), SessionType.Discovery, leadingParameters: Leading()));
    }
}
