using System.Globalization;
using System.Security.Cryptography;
using NetScsi.Iscsi.Login;
using NetScsi.Iscsi.Session;
using NetScsi.Iscsi.Text;
using NetScsi.Transport;

namespace NetScsi.Iscsi.Initiator;

/// <summary>
/// The initiator's login phase for one connection (RFC 7143 §6.3, §11.12–11.13, §12.1.3) as a pure
/// state machine: Login Response fields in, the next Login Request out. No I/O, no timers.
/// </summary>
/// <remarks>
/// Security stage: <c>AuthMethod=None</c> with T=1 straight away, or CHAP: <c>AuthMethod=CHAP</c>, then
/// <c>CHAP_A</c> (our list), then <c>CHAP_N</c>/<c>CHAP_R</c> (plus our own <c>CHAP_I</c>/<c>CHAP_C</c> for
/// mutual CHAP, whose answer we verify). Operational stage: one offer of every key we care about,
/// answers checked against the key's result function, target offers answered, declarations recorded.
/// Failures throw <see cref="IscsiLoginException"/> (redirects: <see cref="IscsiLoginRedirectException"/>).
/// </remarks>
public sealed class InitiatorLoginStateMachine
{
    /// <summary>A login that keeps bouncing without progress is abandoned after this many exchanges.</summary>
    private const int MaxExchanges = 32;

    private readonly DataMoverCapabilities _capabilities;
    private readonly IscsiSessionOptions _options;
    private readonly SessionType _sessionType;
    private readonly RandomNumberGenerator _random;
    private readonly IscsiSessionParameters _parameters;
    private readonly bool _leading;
    private readonly Dictionary<string, string> _offers = new(StringComparer.Ordinal);
    private readonly TextAccumulator _accumulator = new();

    private Phase _phase = Phase.NotStarted;
    private LoginStage _stage = LoginStage.SecurityNegotiation;
    private int _exchanges;
    private bool _authenticated;
    private byte[] _mutualChallenge = [];
    private byte _mutualId;
    private bool _targetMrdslDeclared;

    private enum Phase
    {
        NotStarted,
        AwaitAuthMethod,
        AwaitChapChallenge,
        AwaitChapResult,
        SecurityDone,
        Operational,
        Complete,
    }

    /// <summary>Creates the state machine.</summary>
    /// <param name="options">Names, credentials and the values to negotiate.</param>
    /// <param name="sessionType">Normal (needs <see cref="IscsiSessionOptions.TargetName"/>) or Discovery.</param>
    /// <param name="random">Source of the mutual-CHAP challenge; the system CSPRNG when null.</param>
    /// <param name="capabilities">What the connection's data mover lets the login negotiate (a byte stream's, when null).</param>
    /// <param name="leadingParameters">
    /// Null for a leading login. For a connection added to a running session (RFC 7143 §6.3.1, a non-zero TSIH): the
    /// session's negotiated values, which stay in force; then only connection-scoped keys are negotiated and no
    /// leading-only key is sent (RFC 7143 §13: "LO").
    /// </param>
    public InitiatorLoginStateMachine(IscsiSessionOptions options, SessionType sessionType = SessionType.Normal, RandomNumberGenerator? random = null, DataMoverCapabilities? capabilities = null, IscsiSessionParameters? leadingParameters = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _capabilities = capabilities ?? DataMoverCapabilities.Stream;
        if (options.RequireDigests && !_capabilities.Digests)
        {
            throw new ArgumentException("Digests are required, but this transport carries none.", nameof(options));
        }

        if (sessionType == SessionType.Normal && string.IsNullOrEmpty(options.TargetName))
        {
            throw new ArgumentException("A normal session needs a TargetName.", nameof(options));
        }

        if (options.UsesMutualChap && !options.UsesChap)
        {
            throw new ArgumentException("Mutual CHAP needs the one-way CHAP credentials (ChapUser, ChapSecret) too.", nameof(options));
        }

        if (leadingParameters is not null && sessionType != SessionType.Normal)
        {
            throw new ArgumentException("Only a normal session adds connections.", nameof(sessionType));
        }

        _options = options;
        _sessionType = sessionType;
        _random = random ?? RandomNumberGenerator.Create();
        _leading = leadingParameters is null;
        _parameters = NewParameters(leadingParameters);
        _parameters.SessionType = sessionType;
        _parameters.InitiatorName = options.InitiatorName;
        _parameters.InitiatorAlias = options.InitiatorAlias;
        _parameters.TargetName = options.TargetName;
        _parameters.InitiatorMaxRecvDataSegmentLength = ClampLength(Math.Min(options.MaxRecvDataSegmentLength, _capabilities.MaxDataSegmentLength));
    }

    /// <summary>
    /// A connection's parameters: the defaults for a leading login; for a non-leading one the session's values with
    /// the connection-scoped ones (digests, the target's MaxRecvDataSegmentLength) back at their defaults.
    /// </summary>
    private static IscsiSessionParameters NewParameters(IscsiSessionParameters? leading)
    {
        if (leading is null)
        {
            return new IscsiSessionParameters();
        }

        IscsiSessionParameters p = leading.Clone();
        p.HeaderDigest = false;
        p.DataDigest = false;
        p.TargetMaxRecvDataSegmentLength = 8192;
        p.NegotiatedKeys.RemoveAll(static pair => !IsLeadingOnly(pair.Key));
        return p;
    }

    private static bool IsLeadingOnly(string key) => TextKeyTable.TryGet(key, out TextKeyDefinition definition) && definition.Use == TextKeyUse.LeadingOnly;

    /// <summary>True for the leading login of a session; false for a connection added to it.</summary>
    public bool IsLeading => _leading;

    /// <summary>The final response arrived: the connection is in full-feature phase.</summary>
    public bool IsComplete => _phase == Phase.Complete;

    /// <summary>The stage of the next request.</summary>
    public LoginStage Stage => _stage;

    /// <summary>
    /// The negotiated values. <see cref="IscsiSessionParameters.InitiatorMaxRecvDataSegmentLength"/> is ours,
    /// <see cref="IscsiSessionParameters.TargetMaxRecvDataSegmentLength"/> the target's.
    /// </summary>
    public IscsiSessionParameters Parameters => _parameters;

    /// <summary>The TSIH from the final response.</summary>
    public ushort Tsih { get; private set; }

    /// <summary>The target's alias, if it declared one.</summary>
    public string? TargetAlias { get; private set; }

    /// <summary>The CHAP algorithm the target chose, when CHAP ran.</summary>
    public ChapAlgorithm? ChapAlgorithm { get; private set; }

    /// <summary>True when the target proved it knows the mutual CHAP secret.</summary>
    public bool IsMutuallyAuthenticated { get; private set; }

    /// <summary>How the security stage authenticated (meaningful once the login has succeeded).</summary>
    public LoginAuthentication Authentication =>
        ChapAlgorithm is null ? LoginAuthentication.None : IsMutuallyAuthenticated ? LoginAuthentication.MutualChap : LoginAuthentication.Chap;

    /// <summary>The first Login Request.</summary>
    public InitiatorLoginRequest Start()
    {
        if (_phase != Phase.NotStarted)
        {
            throw new InvalidOperationException("The login has already started.");
        }

        var keys = new TextKeyValues();
        keys.Add(TextKeyTable.InitiatorName, _options.InitiatorName);
        if (!string.IsNullOrEmpty(_options.InitiatorAlias))
        {
            keys.Add(TextKeyTable.InitiatorAlias, _options.InitiatorAlias);
        }

        if (_leading)
        {
            // RFC 7143 §13.21: SessionType is leading-only; a connection added to a session is of its type.
            keys.Add(TextKeyTable.SessionType, _sessionType == SessionType.Discovery ? "Discovery" : "Normal");
        }

        if (_sessionType == SessionType.Normal)
        {
            // RFC 7143 §13.4: in the first Login Request of every connection of a normal session.
            keys.Add(TextKeyTable.TargetName, _options.TargetName!);
        }

        if (_options.UsesChap)
        {
            // Mutual CHAP needs the target to authenticate: do not let it fall back to None.
            keys.Add(TextKeyTable.AuthMethod, _options.UsesMutualChap ? "CHAP" : "CHAP,None");
            _phase = Phase.AwaitAuthMethod;
            return Request(keys, transit: false);
        }

        keys.Add(TextKeyTable.AuthMethod, "None");
        _phase = Phase.AwaitAuthMethod;
        return Request(keys, transit: true, LoginStage.LoginOperationalNegotiation);
    }

    /// <summary>
    /// Consumes one Login Response. Returns the next request, or null when the login is complete.
    /// Throws <see cref="IscsiLoginException"/> when the login failed or the target misbehaved.
    /// </summary>
    /// <param name="response">The response's stage fields, status, TSIH and data segment.</param>
    public InitiatorLoginRequest? Process(LoginResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (_phase is Phase.NotStarted or Phase.Complete)
        {
            throw new InvalidOperationException("No login request is outstanding.");
        }

        if (++_exchanges > MaxExchanges)
        {
            throw Failure(LoginStatusCode.InitiatorError, "The login made no progress after " + MaxExchanges + " exchanges.");
        }

        if (response.StatusClass != 0)
        {
            ThrowForStatus(response);
        }

        if (response.CurrentStage != (byte)_stage)
        {
            throw Failure(LoginStatusCode.InitiatorError, $"The target answered for stage {response.CurrentStage} while the login is in stage {(byte)_stage}.");
        }

        if (response.Transit && response.Continue)
        {
            throw Failure(LoginStatusCode.InitiatorError, "The target set both T and C in a login response (RFC 7143 §11.13.2).");
        }

        switch (_accumulator.Append(response.Data, response.Continue))
        {
            case TextAccumulateResult.TooLarge:
                throw Failure(LoginStatusCode.InitiatorError, "The target's login text is too large.");
            case TextAccumulateResult.NeedMore:
                // RFC 7143 §11.13.2 (C bit): ask for the rest with an empty request.
                return Request(new TextKeyValues(), transit: false);
        }

        if (!TextKeyValues.TryParse(_accumulator.Take(), out TextKeyValues keys, out TextParseStatus parseStatus))
        {
            throw Failure(LoginStatusCode.InitiatorError, $"The target's login text is malformed ({parseStatus}).");
        }

        var next = new TextKeyValues();
        ProcessDeclarations(keys);
        return _stage == LoginStage.SecurityNegotiation
            ? ProcessSecurity(response, keys, next)
            : ProcessOperational(response, keys, next);
    }

    private InitiatorLoginRequest? ProcessSecurity(LoginResponse response, TextKeyValues keys, TextKeyValues next)
    {
        if (keys.TryGetValue(TextKeyTable.AuthMethod, out string method))
        {
            if (_phase != Phase.AwaitAuthMethod)
            {
                throw Failure(LoginStatusCode.InitiatorError, "The target sent AuthMethod twice.");
            }

            switch (method)
            {
                case "None" when !_options.UsesMutualChap:
                    _authenticated = true;
                    _phase = Phase.SecurityDone;
                    break;
                case "CHAP" when _options.UsesChap:
                    next.Add(TextKeyTable.ChapA, FormatAlgorithms());
                    _phase = Phase.AwaitChapChallenge;
                    return Request(next, transit: false);
                case "CHAP":
                    throw Failure(LoginStatusCode.AuthenticationFailure, "The target requires CHAP but no CHAP credentials are configured.");
                default:
                    throw Failure(LoginStatusCode.AuthenticationFailure, $"The target answered AuthMethod={method}, which we did not offer or cannot use.");
            }
        }
        else if (_phase == Phase.AwaitChapChallenge)
        {
            return AnswerChallenge(keys, next);
        }
        else if (_phase == Phase.AwaitChapResult)
        {
            VerifyMutualResponse(keys);
            _authenticated = true;
            _phase = Phase.SecurityDone;
        }
        else if (_phase == Phase.AwaitAuthMethod && response.Transit && !_options.UsesChap)
        {
            // RFC 7143 §12: a target that skips AuthMethod in its answer agreed to the default, None.
            _authenticated = true;
            _phase = Phase.SecurityDone;
        }

        if (!_authenticated)
        {
            throw Failure(LoginStatusCode.AuthenticationFailure, "The target did not complete authentication.");
        }

        if (response.Transit)
        {
            _stage = (LoginStage)response.NextStage;
            if (_stage == LoginStage.FullFeaturePhase)
            {
                return Finish(response);
            }

            if (_stage != LoginStage.LoginOperationalNegotiation)
            {
                throw Failure(LoginStatusCode.InitiatorError, $"The target moved to stage {response.NextStage}.");
            }

            _phase = Phase.Operational;
            return Request(OperationalOffers(), transit: true, LoginStage.FullFeaturePhase);
        }

        // Authentication is done but the target has not transited yet: say again that we want to.
        return Request(next, transit: true, LoginStage.LoginOperationalNegotiation);
    }

    private InitiatorLoginRequest AnswerChallenge(TextKeyValues keys, TextKeyValues next)
    {
        if (!keys.TryGetValue(TextKeyTable.ChapA, out string algorithmText)
            || !keys.TryGetValue(TextKeyTable.ChapI, out string idText)
            || !keys.TryGetValue(TextKeyTable.ChapC, out string challengeText))
        {
            throw Failure(LoginStatusCode.AuthenticationFailure, "The target's CHAP challenge lacks CHAP_A, CHAP_I or CHAP_C.");
        }

        if (!TextValues.TryParseNumber(algorithmText, out ulong algorithmNumber) || algorithmNumber > byte.MaxValue
            || !_options.ChapAlgorithms.Contains((ChapAlgorithm)algorithmNumber) || !Chap.IsSupported((ChapAlgorithm)algorithmNumber))
        {
            throw Failure(LoginStatusCode.AuthenticationFailure, $"The target chose CHAP_A={algorithmText}, which we did not offer.");
        }

        if (!TextValues.TryParseNumber(idText, out ulong id) || id > byte.MaxValue)
        {
            throw Failure(LoginStatusCode.AuthenticationFailure, $"CHAP_I={idText} is not an identifier (0..255).");
        }

        if (!TextValues.TryParseBinary(challengeText, out byte[] challenge) || challenge.Length == 0 || challenge.Length > Chap.MaxChallengeLength)
        {
            throw Failure(LoginStatusCode.AuthenticationFailure, "The target's CHAP_C is not a binary value of 1 to 1024 bytes.");
        }

        var algorithm = (ChapAlgorithm)algorithmNumber;
        ChapAlgorithm = algorithm;
        byte[] answer = Chap.ComputeResponse(algorithm, (byte)id, _options.ChapSecret!, challenge);
        next.Add(TextKeyTable.ChapN, _options.ChapUser!);
        next.Add(TextKeyTable.ChapR, TextValues.FormatHex(answer));
        if (_options.UsesMutualChap)
        {
            // RFC 7143 §12.1.3: our challenge must differ from the target's (no reflection).
            _mutualChallenge = new byte[Math.Max(16, Chap.GetDigestLength(algorithm))];
            do
            {
                _random.GetBytes(_mutualChallenge);
            }
            while (_mutualChallenge.AsSpan().SequenceEqual(challenge));

            Span<byte> idByte = stackalloc byte[1];
            _random.GetBytes(idByte);
            _mutualId = idByte[0];
            next.Add(TextKeyTable.ChapI, _mutualId.ToString(CultureInfo.InvariantCulture));
            next.Add(TextKeyTable.ChapC, TextValues.FormatHex(_mutualChallenge));
        }

        _phase = Phase.AwaitChapResult;
        return Request(next, transit: true, LoginStage.LoginOperationalNegotiation);
    }

    private void VerifyMutualResponse(TextKeyValues keys)
    {
        if (!_options.UsesMutualChap)
        {
            return;
        }

        if (!keys.TryGetValue(TextKeyTable.ChapN, out string name) || !keys.TryGetValue(TextKeyTable.ChapR, out string responseText))
        {
            throw Failure(LoginStatusCode.AuthenticationFailure, "Mutual CHAP: the target did not answer our challenge (no CHAP_N/CHAP_R).");
        }

        if (_options.MutualChapUser is not null && !string.Equals(name, _options.MutualChapUser, StringComparison.Ordinal))
        {
            throw Failure(LoginStatusCode.AuthenticationFailure, $"Mutual CHAP: the target answered as '{name}', not '{_options.MutualChapUser}'.");
        }

        if (!TextValues.TryParseBinary(responseText, out byte[] received)
            || !Chap.VerifyResponse(ChapAlgorithm!.Value, _mutualId, _options.MutualChapSecret!, _mutualChallenge, received))
        {
            throw Failure(LoginStatusCode.AuthenticationFailure, "Mutual CHAP: the target's CHAP_R is wrong; the target is not who it claims to be.");
        }

        IsMutuallyAuthenticated = true;
    }

    private InitiatorLoginRequest? ProcessOperational(LoginResponse response, TextKeyValues keys, TextKeyValues next)
    {
        foreach (TextKeyValue pair in keys)
        {
            if (pair.Key is TextKeyTable.TargetAlias or TextKeyTable.TargetPortalGroupTag or TextKeyTable.TargetAddress
                || pair.Key is TextKeyTable.MaxRecvDataSegmentLength)
            {
                continue; // declarations, handled already
            }

            if (!TextKeyTable.TryGet(pair.Key, out TextKeyDefinition definition))
            {
                // RFC 7143 §6.2: keys we do not know are answered NotUnderstood.
                next.Add(pair.Key, TextValues.NotUnderstood);
                continue;
            }

            if (_offers.Remove(pair.Key, out string? ourOffer))
            {
                AcceptAnswer(definition, ourOffer, pair.Value);
                continue;
            }

            if (TextValues.IsReservedAnswer(pair.Value) || definition.IsDeclarative)
            {
                continue;
            }

            if (!_leading && definition.Use == TextKeyUse.LeadingOnly)
            {
                // RFC 7143 §13: a leading-only key has no place in a non-leading login; the session's value stands.
                next.Add(pair.Key, TextValues.Irrelevant);
                continue;
            }

            // A target offer (RFC 7143 §6.2: we are the responder now).
            string? local = LocalValue(pair.Key);
            if (local is null || definition.IsObsolete)
            {
                next.Add(pair.Key, definition.ObsoleteAnswer ?? TextValues.NotUnderstood);
                continue;
            }

            if (TextKeyNegotiation.TryRespond(definition, pair.Value, local, out string answer))
            {
                Apply(pair.Key, answer);
            }
            else if (pair.Key is TextKeyTable.HeaderDigest or TextKeyTable.DataDigest || pair.Key == TextKeyTable.ErrorRecoveryLevel)
            {
                throw Failure(LoginStatusCode.InitiatorError, $"The target offered {pair.Key}={pair.Value}, which we cannot accept.");
            }

            next.Add(pair.Key, answer);
        }

        if (response.Transit)
        {
            if (response.NextStage != (byte)LoginStage.FullFeaturePhase)
            {
                throw Failure(LoginStatusCode.InitiatorError, $"The target moved from the operational stage to stage {response.NextStage}.");
            }

            if (next.Count > 0)
            {
                throw Failure(LoginStatusCode.InitiatorError, "The target ended the login with offers still unanswered (RFC 7143 §6.2).");
            }

            return Finish(response);
        }

        return Request(next, transit: true, LoginStage.FullFeaturePhase);
    }

    private void AcceptAnswer(TextKeyDefinition definition, string ourOffer, string answer)
    {
        if (answer is TextValues.NotUnderstood or TextValues.Irrelevant or TextValues.Reject)
        {
            // The key keeps its default (RFC 7143 §6.2); unless the default is unacceptable to us.
            if (_options.RequireDigests && definition.Name is TextKeyTable.HeaderDigest or TextKeyTable.DataDigest
                && ourOffer.Contains("CRC32C", StringComparison.Ordinal) && !ourOffer.Contains("None", StringComparison.Ordinal))
            {
                throw Failure(LoginStatusCode.InitiatorError, $"The target answered {definition.Name}={answer}; digests are required.");
            }

            return;
        }

        // The answer must be a result the key's function could give for our offer.
        if (!TextKeyNegotiation.TryRespond(definition, answer, ourOffer, out string result)
            || (definition.Type == TextKeyValueType.Numeric && !NumbersEqual(result, answer))
            || (definition.Type == TextKeyValueType.Boolean && result != answer))
        {
            throw Failure(LoginStatusCode.InitiatorError, $"The target answered {definition.Name}={answer} to our offer {ourOffer}, which its result function does not allow.");
        }

        Apply(definition.Name, result);
    }

    private static bool NumbersEqual(string a, string b) =>
        TextValues.TryParseNumber(a, out ulong x) && TextValues.TryParseNumber(b, out ulong y) && x == y;

    private void ProcessDeclarations(TextKeyValues keys)
    {
        if (keys.TryGetValue(TextKeyTable.TargetAlias, out string alias))
        {
            TargetAlias = alias;
        }

        if (keys.TryGetValue(TextKeyTable.TargetPortalGroupTag, out string tag)
            && TextValues.TryParseNumber(tag, out ulong tpgt) && tpgt <= ushort.MaxValue)
        {
            _parameters.TargetPortalGroupTag = (ushort)tpgt;
        }

        if (keys.TryGetValue(TextKeyTable.MaxRecvDataSegmentLength, out string mrdsl))
        {
            if (!TextValues.TryParseNumber(mrdsl, out ulong length) || length < 512 || length > TextKeyTable.MaxDataLength)
            {
                throw Failure(LoginStatusCode.InitiatorError, $"The target declared MaxRecvDataSegmentLength={mrdsl}, outside 512..16777215.");
            }

            _parameters.TargetMaxRecvDataSegmentLength = (int)length;
            _targetMrdslDeclared = true;
        }
    }

    private TextKeyValues OperationalOffers()
    {
        var keys = new TextKeyValues();
        Offer(keys, TextKeyTable.HeaderDigest, LocalValue(TextKeyTable.HeaderDigest)!);
        Offer(keys, TextKeyTable.DataDigest, LocalValue(TextKeyTable.DataDigest)!);

        // RFC 7143 §13.12: declarative, what we receive.
        keys.Add(TextKeyTable.MaxRecvDataSegmentLength, _parameters.InitiatorMaxRecvDataSegmentLength.ToString(CultureInfo.InvariantCulture));
        if (_sessionType == SessionType.Normal)
        {
            if (_leading)
            {
                // Session-wide (leading-only) keys: a non-leading login keeps the values the leading one settled.
                foreach (string key in s_normalSessionKeys)
                {
                    Offer(keys, key, LocalValue(key)!);
                }
            }

            if (_capabilities.RdmaExtensions)
            {
                // RFC 7145 §6.3-§6.5 over an RDMA mover. MaxOutstandingUnexpectedPDUs is not offered: LIO answers it
                // NotUnderstood; a target that offers it gets our answer. RDMAExtensions itself is leading-only.
                if (_leading)
                {
                    Offer(keys, TextKeyTable.RdmaExtensions, TextValues.Yes);
                }

                Offer(keys, TextKeyTable.InitiatorRecvDataSegmentLength, LocalValue(TextKeyTable.InitiatorRecvDataSegmentLength)!);
                Offer(keys, TextKeyTable.TargetRecvDataSegmentLength, LocalValue(TextKeyTable.TargetRecvDataSegmentLength)!);
            }
        }

        return keys;
    }

    private static readonly string[] s_normalSessionKeys =
    [
        TextKeyTable.MaxConnections, TextKeyTable.InitialR2T, TextKeyTable.ImmediateData,
        TextKeyTable.MaxBurstLength, TextKeyTable.FirstBurstLength, TextKeyTable.DefaultTime2Wait,
        TextKeyTable.DefaultTime2Retain, TextKeyTable.MaxOutstandingR2T, TextKeyTable.DataPduInOrder,
        TextKeyTable.DataSequenceInOrder, TextKeyTable.ErrorRecoveryLevel,
    ];

    private void Offer(TextKeyValues keys, string key, string value)
    {
        keys.Add(key, value);
        _offers[key] = value;
    }

    /// <summary>Our value for a key (a list for list keys); null when we do not negotiate it.</summary>
    private string? LocalValue(string key) => key switch
    {
        TextKeyTable.HeaderDigest => Digests(_options.HeaderDigest),
        TextKeyTable.DataDigest => Digests(_options.DataDigest),
        TextKeyTable.MaxConnections => _options.Connections.ToString(CultureInfo.InvariantCulture),
        TextKeyTable.InitialR2T => TextValues.FormatBoolean(_options.InitialR2T),
        TextKeyTable.ImmediateData => TextValues.FormatBoolean(_options.ImmediateData),
        TextKeyTable.MaxBurstLength => ClampLength(_options.MaxBurstLength).ToString(CultureInfo.InvariantCulture),
        TextKeyTable.FirstBurstLength => ClampLength(Math.Min(_options.FirstBurstLength, _options.MaxBurstLength)).ToString(CultureInfo.InvariantCulture),
        TextKeyTable.DefaultTime2Wait => Math.Clamp(_options.DefaultTime2Wait, 0, 3600).ToString(CultureInfo.InvariantCulture),
        TextKeyTable.DefaultTime2Retain => Math.Clamp(_options.DefaultTime2Retain, 0, 3600).ToString(CultureInfo.InvariantCulture),
        TextKeyTable.MaxOutstandingR2T => Math.Clamp(_options.MaxOutstandingR2T, 1, 65535).ToString(CultureInfo.InvariantCulture),
        TextKeyTable.DataPduInOrder => TextValues.FormatBoolean(_options.DataPduInOrder),
        TextKeyTable.DataSequenceInOrder => TextValues.FormatBoolean(_options.DataSequenceInOrder),
        TextKeyTable.ErrorRecoveryLevel => "0",
        TextKeyTable.IscsiProtocolLevel => "1",
        TextKeyTable.TaskReporting => "RFC3720",
        TextKeyTable.RdmaExtensions => TextValues.FormatBoolean(_capabilities.RdmaExtensions),
        TextKeyTable.InitiatorRecvDataSegmentLength when _capabilities.RdmaExtensions => _parameters.InitiatorMaxRecvDataSegmentLength.ToString(CultureInfo.InvariantCulture),
        TextKeyTable.TargetRecvDataSegmentLength when _capabilities.RdmaExtensions => ClampLength(Math.Min(_options.MaxRecvDataSegmentLength, _capabilities.MaxDataSegmentLength)).ToString(CultureInfo.InvariantCulture),
        TextKeyTable.MaxOutstandingUnexpectedPdus when _capabilities.RdmaExtensions =>
            Math.Clamp(_capabilities.MaxOutstandingUnexpectedPdus, 0, uint.MaxValue).ToString(CultureInfo.InvariantCulture),
        _ => null,
    };

    private string Digests(bool wanted) => !wanted || !_capabilities.Digests ? "None" : _options.RequireDigests ? "CRC32C" : "CRC32C,None";

    private void Apply(string key, string result) => _parameters.ApplyNegotiated(key, result);

    private InitiatorLoginRequest? Finish(LoginResponse response)
    {
        if (_parameters.ErrorRecoveryLevel != 0)
        {
            throw Failure(LoginStatusCode.InitiatorError, "The target negotiated ErrorRecoveryLevel above 0, which this initiator does not implement.");
        }

        // RFC 7143 §13.14: FirstBurstLength MUST NOT exceed MaxBurstLength.
        if (_parameters.FirstBurstLength > _parameters.MaxBurstLength)
        {
            _parameters.FirstBurstLength = _parameters.MaxBurstLength;
        }

        if (!_targetMrdslDeclared)
        {
            // RFC 7143 §13.12: without a declaration the default, 8192, applies.
            _parameters.TargetMaxRecvDataSegmentLength = 8192;
        }

        Tsih = response.Tsih;
        _stage = LoginStage.FullFeaturePhase;
        _phase = Phase.Complete;
        return null;
    }

    private InitiatorLoginRequest Request(TextKeyValues keys, bool transit, LoginStage next = LoginStage.SecurityNegotiation) => new()
    {
        CurrentStage = _stage,
        NextStage = transit ? next : LoginStage.SecurityNegotiation,
        Transit = transit,
        Keys = keys,
    };

    private string FormatAlgorithms()
    {
        var list = new List<string>();
        foreach (ChapAlgorithm algorithm in _options.ChapAlgorithms)
        {
            if (Chap.IsSupported(algorithm))
            {
                list.Add(((byte)algorithm).ToString(CultureInfo.InvariantCulture));
            }
        }

        if (list.Count == 0)
        {
            throw Failure(LoginStatusCode.AuthenticationFailure, "None of the configured CHAP algorithms is supported on this platform.");
        }

        return string.Join(',', list);
    }

    private static int ClampLength(int value) => (int)Math.Clamp((long)value, 512, (long)TextKeyTable.MaxDataLength);

    private static void ThrowForStatus(LoginResponse response)
    {
        LoginStatusCode status = response.Status;
        if (response.StatusClass == 1)
        {
            string? address = null;
            if (TextKeyValues.TryParse(response.Data, out TextKeyValues keys, out _, allowDuplicateKeys: true)
                && keys.TryGetValue(TextKeyTable.TargetAddress, out string value))
            {
                address = value;
            }

            throw new IscsiLoginRedirectException(status, address);
        }

        string what = status switch
        {
            LoginStatusCode.AuthenticationFailure => "authentication failed",
            LoginStatusCode.AuthorizationFailure => "this initiator is not allowed to access the target",
            LoginStatusCode.NotFound => "the target does not exist",
            LoginStatusCode.TargetRemoved => "the target was removed",
            LoginStatusCode.UnsupportedVersion => "unsupported iSCSI version",
            LoginStatusCode.TooManyConnections => "too many connections",
            LoginStatusCode.MissingParameter => "a required parameter is missing",
            LoginStatusCode.CannotIncludeInSession => "the connection cannot join the session",
            LoginStatusCode.SessionTypeNotSupported => "session type not supported",
            LoginStatusCode.SessionDoesNotExist => "the session does not exist",
            LoginStatusCode.InvalidDuringLogin => "invalid request during login",
            LoginStatusCode.ServiceUnavailable => "service unavailable",
            LoginStatusCode.OutOfResources => "the target is out of resources",
            _ when response.StatusClass == 2 => "initiator error",
            _ => "target error",
        };
        throw new IscsiLoginException(status, string.Create(CultureInfo.InvariantCulture, $"The target refused the login: {what} (status 0x{(ushort)status:x4})."))
        {
            ReportedByTarget = true,
        };
    }

    private static IscsiLoginException Failure(LoginStatusCode status, string message) => new(status, message);
}
