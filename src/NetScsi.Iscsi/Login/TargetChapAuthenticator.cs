using System.Globalization;
using System.Security.Cryptography;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Text;

namespace NetScsi.Iscsi.Login;

/// <summary>Where a target-side CHAP exchange stands.</summary>
internal enum ChapState
{
    /// <summary>AuthMethod=CHAP agreed; waiting for the initiator's CHAP_A list.</summary>
    AwaitAlgorithms,

    /// <summary>CHAP_A/CHAP_I/CHAP_C sent; waiting for CHAP_N/CHAP_R (and CHAP_I/CHAP_C for mutual CHAP).</summary>
    AwaitResponse,

    Done,
}

/// <summary>
/// The target's half of CHAP (RFC 1994, RFC 7143 §12.1.3):
/// I→T CHAP_A=&lt;A1,A2…&gt;; T→I CHAP_A=&lt;A&gt; CHAP_I=&lt;I&gt; CHAP_C=&lt;C&gt;;
/// I→T CHAP_N=&lt;N&gt; CHAP_R=&lt;R&gt; [CHAP_I=&lt;I2&gt; CHAP_C=&lt;C2&gt;]; T→I [CHAP_N=&lt;N2&gt; CHAP_R=&lt;R2&gt;].
/// </summary>
internal sealed class TargetChapAuthenticator
{
    private readonly ChapCredentials _credentials;
    private readonly ChapCredentials? _mutual;
    private readonly IReadOnlyList<ChapAlgorithm> _allowed;
    private readonly RandomNumberGenerator _random;
    private byte[] _challenge = [];
    private byte _id;

    public TargetChapAuthenticator(ChapCredentials credentials, ChapCredentials? mutual, IReadOnlyList<ChapAlgorithm> allowed, RandomNumberGenerator random)
    {
        _credentials = credentials;
        _mutual = mutual;
        _allowed = allowed;
        _random = random;
    }

    public ChapState State { get; private set; } = ChapState.AwaitAlgorithms;

    public ChapAlgorithm? Algorithm { get; private set; }

    /// <summary>True when the initiator also authenticated the target.</summary>
    public bool Mutual { get; private set; }

    /// <summary>Our challenge (for tests).</summary>
    internal ReadOnlySpan<byte> Challenge => _challenge;

    internal byte Identifier => _id;

    public LoginStatusCode? OnAlgorithms(string offered, TextKeyValues response)
    {
        if (State != ChapState.AwaitAlgorithms || !TextValues.TrySplitList(offered, out string[] items))
        {
            return LoginStatusCode.AuthenticationFailure;
        }

        // RFC 7143 §12.1.3: the target picks the first algorithm of the initiator's list it supports.
        foreach (string item in items)
        {
            if (TextValues.TryParseNumber(item, out ulong number) && number <= byte.MaxValue
                && _allowed.Contains((ChapAlgorithm)number) && Chap.IsSupported((ChapAlgorithm)number))
            {
                Algorithm = (ChapAlgorithm)number;
                break;
            }
        }

        if (Algorithm is not ChapAlgorithm algorithm)
        {
            return LoginStatusCode.AuthenticationFailure;
        }

        // RFC 1994 §2.2: the challenge is unpredictable; we make it as long as the digest, at least 16 bytes.
        _challenge = new byte[Math.Max(16, Chap.GetDigestLength(algorithm))];
        _random.GetBytes(_challenge);
        Span<byte> id = stackalloc byte[1];
        _random.GetBytes(id);
        _id = id[0];

        response.Add(TextKeyTable.ChapA, ((byte)algorithm).ToString(CultureInfo.InvariantCulture));
        response.Add(TextKeyTable.ChapI, _id.ToString(CultureInfo.InvariantCulture));
        response.Add(TextKeyTable.ChapC, TextValues.FormatHex(_challenge));
        State = ChapState.AwaitResponse;
        return null;
    }

    public LoginStatusCode? OnResponse(string? name, string? chapResponse, string? mutualId, string? mutualChallenge, TextKeyValues response)
    {
        if (State != ChapState.AwaitResponse || Algorithm is not ChapAlgorithm algorithm || name is null || chapResponse is null)
        {
            return LoginStatusCode.AuthenticationFailure;
        }

        if (!string.Equals(name, _credentials.User, StringComparison.Ordinal)
            || !TextValues.TryParseBinary(chapResponse, out byte[] received)
            || !Chap.VerifyResponse(algorithm, _id, _credentials.Secret, _challenge, received))
        {
            return LoginStatusCode.AuthenticationFailure;
        }

        // Verify the initiator before answering its challenge: a target must not act as an oracle.
        if (mutualId is not null || mutualChallenge is not null)
        {
            if (mutualId is null || mutualChallenge is null || _mutual is null
                || !TextValues.TryParseNumber(mutualId, out ulong id) || id > byte.MaxValue
                || !TextValues.TryParseBinary(mutualChallenge, out byte[] challenge)
                || challenge.Length == 0 || challenge.Length > Chap.MaxChallengeLength)
            {
                return LoginStatusCode.AuthenticationFailure;
            }

            // RFC 7143 §12.1.3: a challenge identical to the one we sent is a reflection attack.
            if (challenge.AsSpan().SequenceEqual(_challenge))
            {
                return LoginStatusCode.AuthenticationFailure;
            }

            byte[] answer = Chap.ComputeResponse(algorithm, (byte)id, _mutual.Secret, challenge);
            response.Add(TextKeyTable.ChapN, _mutual.User);
            response.Add(TextKeyTable.ChapR, TextValues.FormatHex(answer));
            Mutual = true;
        }

        State = ChapState.Done;
        return null;
    }
}
