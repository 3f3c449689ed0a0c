using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Login;
using NetScsi.Iscsi.Text;
using static NetScsi.Iscsi.Tests.Login.LoginTestKit;

namespace NetScsi.Iscsi.Tests.Login;

public sealed class ChapLoginTests
{
    private const LoginStage Security = LoginStage.SecurityNegotiation;
    private const LoginStage Operational = LoginStage.LoginOperationalNegotiation;
    private const LoginStage FullFeature = LoginStage.FullFeaturePhase;

    private static readonly ChapCredentials s_chap = new("alice", "alice-secret-12");
    private static readonly ChapCredentials s_mutual = new("target-user", "target-secret-34");

    private static IscsiTargetOptions ChapOptions(bool mutual = false) => Options(t =>
    {
        t.Chap = s_chap;
        if (mutual)
        {
            t.MutualChap = s_mutual;
        }
    });

    /// <summary>Runs AuthMethod and CHAP_A; returns the target's (algorithm, id, challenge).</summary>
    private static (ChapAlgorithm Algorithm, byte Id, byte[] Challenge) StartChap(TargetLoginStateMachine machine, string algorithms = "5")
    {
        LoginResponse method = machine.Process(Request(Security, Operational,
            $"InitiatorName={InitiatorName}", $"TargetName={TargetName}", "AuthMethod=CHAP,None"));
        AssertSuccess(method);
        Assert.Equal("CHAP", Value(method, "AuthMethod"));
        Assert.False(method.Transit); // authentication not done yet

        LoginResponse challenge = machine.Process(Request(Security, Operational, $"CHAP_A={algorithms}"));
        AssertSuccess(challenge);
        Assert.False(challenge.Transit);
        var algorithm = (ChapAlgorithm)byte.Parse(Value(challenge, "CHAP_A"));
        byte id = byte.Parse(Value(challenge, "CHAP_I"));
        Assert.True(TextValues.TryParseBinary(Value(challenge, "CHAP_C"), out byte[] c));
        Assert.True(c.Length >= Chap.GetDigestLength(algorithm));
        return (algorithm, id, c);
    }

    private static string Answer(ChapAlgorithm algorithm, byte id, string secret, byte[] challenge) =>
        TextValues.FormatHex(Chap.ComputeResponse(algorithm, id, secret, challenge));

    [Fact]
    public void OneWayChap_CorrectResponse_Authenticates()
    {
        TargetLoginStateMachine machine = Machine(ChapOptions());
        (ChapAlgorithm a, byte id, byte[] c) = StartChap(machine);
        Assert.Equal(ChapAlgorithm.Md5, a);

        LoginResponse done = machine.Process(Request(Security, Operational, "CHAP_N=alice", $"CHAP_R={Answer(a, id, s_chap.Secret, c)}"));
        AssertSuccess(done);
        Assert.True(done.Transit);
        Assert.Equal((byte)Operational, done.NextStage);
        Assert.True(machine.IsAuthenticated);
        Assert.False(machine.IsMutuallyAuthenticated);
        Assert.Empty(Keys(done));

        Assert.True(machine.Process(Request(Operational, FullFeature)).IsFinal);
    }

    [Theory]
    [InlineData("7,5", ChapAlgorithm.Sha256)]
    [InlineData("6,7", ChapAlgorithm.Sha1)]
    [InlineData("99,5", ChapAlgorithm.Md5)]
    public void ChapA_TargetPicksFirstOfInitiatorsListItSupports(string offered, ChapAlgorithm expected)
    {
        TargetLoginStateMachine machine = Machine(ChapOptions());
        (ChapAlgorithm a, byte id, byte[] c) = StartChap(machine, offered);
        Assert.Equal(expected, a);
        AssertSuccess(machine.Process(Request(Security, Operational, "CHAP_N=alice", $"CHAP_R={Answer(a, id, s_chap.Secret, c)}")));
        Assert.Equal(expected, machine.ChapAlgorithm);
    }

    [Fact]
    public void ChapA_Sha3_256_WhenPlatformSupportsIt()
    {
        if (!Chap.IsSupported(ChapAlgorithm.Sha3_256))
        {
            return;
        }

        TargetLoginStateMachine machine = Machine(ChapOptions());
        (ChapAlgorithm a, byte id, byte[] c) = StartChap(machine, "8,5");
        Assert.Equal(ChapAlgorithm.Sha3_256, a);
        AssertSuccess(machine.Process(Request(Security, Operational, "CHAP_N=alice", $"CHAP_R={Answer(a, id, s_chap.Secret, c)}")));
    }

    [Fact]
    public void ChapA_PolicyRestrictsAlgorithms()
    {
        var policy = new TargetLoginPolicy { ChapAlgorithms = [ChapAlgorithm.Sha256] };
        TargetLoginStateMachine machine = Machine(ChapOptions(), policy);
        (ChapAlgorithm a, _, _) = StartChap(machine, "5,7");
        Assert.Equal(ChapAlgorithm.Sha256, a);
    }

    [Fact]
    public void ChapA_NoSupportedAlgorithm_Fails0201()
    {
        TargetLoginStateMachine machine = Machine(ChapOptions());
        machine.Process(Request(Security, Operational, $"InitiatorName={InitiatorName}", $"TargetName={TargetName}", "AuthMethod=CHAP"));
        Assert.Equal(LoginStatusCode.AuthenticationFailure, machine.Process(Request(Security, Operational, "CHAP_A=128,129")).Status);
    }

    [Fact]
    public void WrongSecret_Fails0201()
    {
        TargetLoginStateMachine machine = Machine(ChapOptions());
        (ChapAlgorithm a, byte id, byte[] c) = StartChap(machine);
        LoginResponse response = machine.Process(Request(Security, Operational, "CHAP_N=alice", $"CHAP_R={Answer(a, id, "wrong-secret", c)}"));
        Assert.Equal(LoginStatusCode.AuthenticationFailure, response.Status);
        Assert.Equal(2, response.StatusClass);
        Assert.Equal(1, response.StatusDetail);
        Assert.True(machine.Failed);
    }

    [Fact]
    public void WrongUserName_Fails0201()
    {
        TargetLoginStateMachine machine = Machine(ChapOptions());
        (ChapAlgorithm a, byte id, byte[] c) = StartChap(machine);
        Assert.Equal(LoginStatusCode.AuthenticationFailure,
            machine.Process(Request(Security, Operational, "CHAP_N=mallory", $"CHAP_R={Answer(a, id, s_chap.Secret, c)}")).Status);
    }

    [Fact]
    public void Base64Response_Accepted()
    {
        TargetLoginStateMachine machine = Machine(ChapOptions());
        (ChapAlgorithm a, byte id, byte[] c) = StartChap(machine);
        string base64 = "0b" + Convert.ToBase64String(Chap.ComputeResponse(a, id, s_chap.Secret, c));
        AssertSuccess(machine.Process(Request(Security, Operational, "CHAP_N=alice", $"CHAP_R={base64}")));
    }

    [Fact]
    public void MutualChap_TargetAnswersInitiatorsChallenge()
    {
        TargetLoginStateMachine machine = Machine(ChapOptions(mutual: true));
        (ChapAlgorithm a, byte id, byte[] c) = StartChap(machine);
        byte[] myChallenge = [0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF];

        LoginResponse response = machine.Process(Request(Security, Operational,
            "CHAP_N=alice", $"CHAP_R={Answer(a, id, s_chap.Secret, c)}", "CHAP_I=77", $"CHAP_C={TextValues.FormatHex(myChallenge)}"));
        AssertSuccess(response);
        Assert.True(response.Transit);
        Assert.Equal("target-user", Value(response, "CHAP_N"));
        Assert.True(TextValues.TryParseBinary(Value(response, "CHAP_R"), out byte[] targetResponse));
        Assert.True(Chap.VerifyResponse(a, 77, s_mutual.Secret, myChallenge, targetResponse));
        Assert.True(machine.IsMutuallyAuthenticated);
    }

    [Fact]
    public void MutualChap_ReflectedChallenge_Refused0201()
    {
        TargetLoginStateMachine machine = Machine(ChapOptions(mutual: true));
        (ChapAlgorithm a, byte id, byte[] c) = StartChap(machine);
        LoginResponse response = machine.Process(Request(Security, Operational,
            "CHAP_N=alice", $"CHAP_R={Answer(a, id, s_chap.Secret, c)}", $"CHAP_I={id}", $"CHAP_C={TextValues.FormatHex(c)}"));
        Assert.Equal(LoginStatusCode.AuthenticationFailure, response.Status);
        Assert.Empty(response.Data);
    }

    [Fact]
    public void MutualChap_NotConfigured_Refused0201()
    {
        TargetLoginStateMachine machine = Machine(ChapOptions(mutual: false));
        (ChapAlgorithm a, byte id, byte[] c) = StartChap(machine);
        LoginResponse response = machine.Process(Request(Security, Operational,
            "CHAP_N=alice", $"CHAP_R={Answer(a, id, s_chap.Secret, c)}", "CHAP_I=1", "CHAP_C=0x0102030405060708090a0b0c0d0e0f10"));
        Assert.Equal(LoginStatusCode.AuthenticationFailure, response.Status);
    }

    [Fact]
    public void MutualChap_WrongInitiatorResponse_DoesNotAnswerChallenge()
    {
        TargetLoginStateMachine machine = Machine(ChapOptions(mutual: true));
        (ChapAlgorithm a, byte id, byte[] c) = StartChap(machine);
        LoginResponse response = machine.Process(Request(Security, Operational,
            "CHAP_N=alice", $"CHAP_R={Answer(a, id, "bad", c)}", "CHAP_I=1", "CHAP_C=0x0102030405060708090a0b0c0d0e0f10"));
        Assert.Equal(LoginStatusCode.AuthenticationFailure, response.Status);
        Assert.Empty(response.Data);
    }

    [Fact]
    public void ChapRequired_InitiatorOffersOnlyNone_Fails0201()
    {
        LoginResponse response = Machine(ChapOptions()).Process(Request(Security, Operational,
            $"InitiatorName={InitiatorName}", $"TargetName={TargetName}", "AuthMethod=None"));
        Assert.Equal(LoginStatusCode.AuthenticationFailure, response.Status);
    }

    [Fact]
    public void ChapRequired_InitiatorSkipsSecurityStage_Fails0201()
    {
        LoginResponse response = Machine(ChapOptions()).Process(Request(Operational, FullFeature,
            $"InitiatorName={InitiatorName}", $"TargetName={TargetName}"));
        Assert.Equal(LoginStatusCode.AuthenticationFailure, response.Status);
    }

    [Fact]
    public void ChapRequired_TransitWithoutAuthMethod_Fails0201()
    {
        LoginResponse response = Machine(ChapOptions()).Process(Request(Security, Operational,
            $"InitiatorName={InitiatorName}", $"TargetName={TargetName}"));
        Assert.Equal(LoginStatusCode.AuthenticationFailure, response.Status);
    }

    [Fact]
    public void NoChapConfigured_InitiatorOffersChapAndNone_PicksNone()
    {
        TargetLoginStateMachine machine = Machine();
        LoginResponse response = machine.Process(Request(Security, Operational,
            $"InitiatorName={InitiatorName}", $"TargetName={TargetName}", "AuthMethod=CHAP,None"));
        Assert.Equal("None", Value(response, "AuthMethod"));
        Assert.True(response.Transit);
    }

    [Fact]
    public void NoChapConfigured_InitiatorOffersOnlyChap_Fails0201()
    {
        LoginResponse response = Machine().Process(Request(Security, Operational,
            $"InitiatorName={InitiatorName}", $"TargetName={TargetName}", "AuthMethod=CHAP"));
        Assert.Equal(LoginStatusCode.AuthenticationFailure, response.Status);
    }

    [Fact]
    public void AclChapCredentials_OverrideTargets()
    {
        IscsiTargetOptions options = Options(t =>
        {
            t.Chap = s_chap;
            t.Acls.Add(new InitiatorAcl(InitiatorName, Chap: new ChapCredentials("bob", "bob-secret-5678")));
        });
        TargetLoginStateMachine machine = Machine(options);
        (ChapAlgorithm a, byte id, byte[] c) = StartChap(machine);
        AssertSuccess(machine.Process(Request(Security, Operational, "CHAP_N=bob", $"CHAP_R={Answer(a, id, "bob-secret-5678", c)}")));
    }

    [Fact]
    public void ChapResponseBeforeChallenge_FailsLogin()
    {
        TargetLoginStateMachine machine = Machine(ChapOptions());
        machine.Process(Request(Security, null, $"InitiatorName={InitiatorName}", $"TargetName={TargetName}", "AuthMethod=CHAP"));
        Assert.Equal(LoginStatusCode.AuthenticationFailure, machine.Process(Request(Security, Operational, "CHAP_N=alice", "CHAP_R=0x00")).Status);
    }
}
