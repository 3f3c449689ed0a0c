using NetScsi.Functional.Tests.Target;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Login;
using NetScsi.Iscsi.Pdus;
using NetScsi.Iscsi.Text;

namespace NetScsi.Functional.Tests.Adversarial;

/// <summary>
/// CHAP as an attacker plays it, over the wire: guessing, replaying a response to another challenge, and malformed
/// CHAP values. Each attempt fails with an authentication status and its connection closes; the target stays up and
/// the rightful initiator still logs in.
/// </summary>
public sealed class ChapAttackTests
{
    private const string Initiator = "iqn.2026-11.org.netscsi:chap-attack";
    private static readonly ChapCredentials s_chap = new("alice", "correct-horse-battery");

    private static Task<TargetFixture> StartAsync() => TargetFixture.StartAsync(o => o.Targets[0].Chap = s_chap);

    /// <summary>Security stage up to the target's challenge: CHAP_A=5 (MD5); returns CHAP_I and CHAP_C.</summary>
    private static async Task<(byte Id, byte[] Challenge)> ChallengeAsync(RawIscsiClient client)
    {
        var offer = await client.LoginStepAsync(0, 1, false, RawIscsiClient.Keys(
            "InitiatorName=" + Initiator, "TargetName=" + TargetFixture.TargetName, "SessionType=Normal", "AuthMethod=CHAP"));
        Assert.Equal(0, offer.StatusClass);
        Dictionary<string, string> keys = new();
        var challenge = await client.LoginStepAsync(0, 1, false, RawIscsiClient.Keys("CHAP_A=5"), onKeys: k => keys = k);
        Assert.Equal(0, challenge.StatusClass);
        Assert.True(TextValues.TryParseBinary(keys["CHAP_C"], out byte[] c));
        return (byte.Parse(keys["CHAP_I"]), c);
    }

    private static async Task<LoginResponsePdu> AnswerAsync(RawIscsiClient client, string name, string response) =>
        await client.LoginStepAsync(0, 1, true, RawIscsiClient.Keys("CHAP_N=" + name, "CHAP_R=" + response));

    private static async Task AssertRightfulLoginWorksAsync(TargetFixture fixture)
    {
        await using var client = await fixture.ConnectAsync();
        var (id, challenge) = await ChallengeAsync(client);
        var done = await AnswerAsync(client, s_chap.User, TextValues.FormatHex(Chap.ComputeResponse(ChapAlgorithm.Md5, id, s_chap.Secret, challenge)));
        Assert.Equal(0, done.StatusClass);
    }

    [Fact]
    public async Task GuessedResponses_AllFailWithAuthenticationFailure_AndTheRightfulInitiatorStillLogsIn()
    {
        await using var fixture = await StartAsync();
        var random = new Random(0xC4A9);
        int attempts = AdversarialSettings.Long ? 2000 : 100;
        for (int i = 0; i < attempts; i++)
        {
            await using var client = await fixture.ConnectAsync();
            var (id, challenge) = await ChallengeAsync(client);
            string guess = i % 2 == 0
                ? TextValues.FormatHex(Chap.ComputeResponse(ChapAlgorithm.Md5, id, "guess-" + random.Next(), challenge))
                : TextValues.FormatHex(new byte[16]);
            var failed = await AnswerAsync(client, i % 3 == 0 ? "mallory" : s_chap.User, guess);
            Assert.Equal(0x02, failed.StatusClass);
            Assert.Equal(0x01, failed.StatusDetail);
            Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
        }
        Assert.Equal(0, fixture.Server.SessionCount);
        await AssertRightfulLoginWorksAsync(fixture);
    }

    [Fact]
    public async Task ResponseReplayedToAnotherChallenge_Fails()
    {
        await using var fixture = await StartAsync();
        string recorded;
        await using (var victim = await fixture.ConnectAsync())
        {
            var (id, challenge) = await ChallengeAsync(victim);
            recorded = TextValues.FormatHex(Chap.ComputeResponse(ChapAlgorithm.Md5, id, s_chap.Secret, challenge));
            Assert.Equal(0, (await AnswerAsync(victim, s_chap.User, recorded)).StatusClass);
        }
        await using var attacker = await fixture.ConnectAsync();
        var (_, fresh) = await ChallengeAsync(attacker);
        Assert.NotEmpty(fresh);
        var replayed = await AnswerAsync(attacker, s_chap.User, recorded);
        Assert.Equal(0x0201, (replayed.StatusClass << 8) | replayed.StatusDetail);
    }

    [Theory]
    [InlineData("0x")]
    [InlineData("0x123")]
    [InlineData("0xZZ")]
    [InlineData("0b!!!!")]
    [InlineData("")]
    [InlineData("plain-text")]
    [InlineData("0x00112233445566778899aabbccddeeff00")]
    public async Task MalformedResponse_FailsWithInitiatorError_AndNoSessionIsMade(string response)
    {
        await using var fixture = await StartAsync();
        await using (var client = await fixture.ConnectAsync())
        {
            await ChallengeAsync(client);
            var failed = await AnswerAsync(client, s_chap.User, response);
            Assert.Equal(0x02, failed.StatusClass);
            Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
        }
        Assert.Equal(0, fixture.Server.SessionCount);
        await AssertRightfulLoginWorksAsync(fixture);
    }

    [Fact]
    public async Task OversizeChapValues_FailTheLogin_WithoutBufferingThem()
    {
        await using var fixture = await StartAsync();
        await using (var client = await fixture.ConnectAsync())
        {
            await ChallengeAsync(client);
            // 7,000 bytes of hex in one login PDU (within the 8 KiB login segment), and an initiator challenge of the same.
            string huge = "0x" + new string('a', 7000);
            var failed = await client.LoginStepAsync(0, 1, true, RawIscsiClient.Keys("CHAP_N=" + s_chap.User, "CHAP_R=" + huge[..3500], "CHAP_I=1", "CHAP_C=" + huge[..3500]));
            Assert.Equal(0x02, failed.StatusClass);
        }
        await AssertRightfulLoginWorksAsync(fixture);
    }
}
