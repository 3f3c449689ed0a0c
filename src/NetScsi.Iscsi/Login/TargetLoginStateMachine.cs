using System.Security.Cryptography;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Session;
using NetScsi.Iscsi.Text;

namespace NetScsi.Iscsi.Login;

/// <summary>
/// The target's login phase for one connection (RFC 7143 §6.3, §11.12, §11.13) as a pure state
/// machine: decoded Login Request fields in, Login Response fields out. No I/O, no timers.
/// </summary>
/// <remarks>
/// Stages: SecurityNegotiation (0) → LoginOperationalNegotiation (1) → FullFeaturePhase (3); 0 → 3
/// directly is allowed. Any response with a non-zero status class ends the machine (<see cref="Failed"/>);
/// the engine sends it and closes the connection (§6.3: a failed login terminates the connection).
/// Whether this is the leading connection follows from the first request's TSIH (0 = leading, §6.3.1).
/// </remarks>
public sealed class TargetLoginStateMachine
{
    private static readonly RandomNumberGenerator s_sharedRandom = RandomNumberGenerator.Create();

    private readonly IscsiTargetOptions _options;
    private readonly TargetLoginPolicy _policy;
    private readonly RandomNumberGenerator _random;
    private readonly Func<SessionBindingRequest, SessionBinding>? _bindSession;
    private readonly IscsiSessionParameters _parameters;
    private readonly OperationalKeyNegotiator _negotiator;
    private readonly TextAccumulator _accumulator = new();
    private readonly HashSet<string> _seenKeys = new(StringComparer.Ordinal);

    private bool _started;
    private bool _identified;
    private LoginStage _stage;
    private ulong _isid;
    private ushort _tsih;
    private ushort _cid;
    private ChapCredentials? _credentials;
    private ChapCredentials? _mutualCredentials;
    private TargetChapAuthenticator? _chap;

    /// <param name="options">Targets (looked up by name), limits and the portal group tag.</param>
    /// <param name="random">Source of CHAP challenges and identifiers; the system CSPRNG when null.</param>
    /// <param name="policy">Our negotiation values; <see cref="TargetLoginPolicy.FromOptions"/> when null.</param>
    /// <param name="bindSession">
    /// Called once, just before the final response: the engine creates, reinstates or joins the session
    /// and returns its TSIH, or refuses with a status. When null the request's TSIH is echoed.
    /// </param>
    public TargetLoginStateMachine(
        IscsiTargetOptions options,
        RandomNumberGenerator? random = null,
        TargetLoginPolicy? policy = null,
        Func<SessionBindingRequest, SessionBinding>? bindSession = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _policy = policy ?? TargetLoginPolicy.FromOptions(options);
        _random = random ?? s_sharedRandom;
        _bindSession = bindSession;
        _parameters = new IscsiSessionParameters { TargetPortalGroupTag = _policy.TargetPortalGroupTag };
        _negotiator = new OperationalKeyNegotiator(_policy, _parameters);
    }

    /// <summary>The final response has been produced: the connection is in full-feature phase.</summary>
    public bool IsComplete { get; private set; }

    /// <summary>A response with a non-zero status class has been produced.</summary>
    public bool Failed { get; private set; }

    /// <summary>The current stage (CSG of the next request).</summary>
    public LoginStage Stage => _stage;

    /// <summary>The negotiated values (complete once <see cref="IsComplete"/>).</summary>
    public IscsiSessionParameters Parameters => _parameters;

    /// <summary>The target logged into; null for discovery sessions or before the first request.</summary>
    public TargetDefinition? Target { get; private set; }

    /// <summary>The ACL entry that admitted the initiator; null when the target has no ACLs.</summary>
    public InitiatorAcl? Acl { get; private set; }

    public string? InitiatorName { get; private set; }

    public SessionType SessionType => _parameters.SessionType;

    /// <summary>ISID of the first request (48 bits).</summary>
    public ulong Isid => _isid;

    /// <summary>TSIH: the request's, then the engine-assigned one after completion.</summary>
    public ushort Tsih => _tsih;

    public ushort Cid => _cid;

    /// <summary>TSIH 0 in the first request: a new session or a reinstatement (RFC 7143 §6.3.1, §6.3.5).</summary>
    public bool IsLeadingConnection { get; private set; } = true;

    /// <summary>Authentication done (CHAP succeeded, or none required).</summary>
    public bool IsAuthenticated { get; private set; }

    /// <summary>The CHAP algorithm used, when CHAP ran.</summary>
    public ChapAlgorithm? ChapAlgorithm => _chap?.Algorithm;

    /// <summary>True when the initiator authenticated the target too (mutual CHAP).</summary>
    public bool IsMutuallyAuthenticated => _chap?.Mutual == true;

    /// <summary>Consumes one Login Request and returns the Login Response to send.</summary>
    public LoginResponse Process(in LoginRequest request)
    {
        if (IsComplete || Failed)
        {
            return Fail(LoginStatusCode.InvalidDuringLogin);
        }

        LoginStatusCode? headerError = CheckHeader(request);
        if (headerError is LoginStatusCode headerStatus)
        {
            return Fail(headerStatus);
        }

        switch (_accumulator.Append(request.Data.Span, request.Continue))
        {
            case TextAccumulateResult.TooLarge:
                return Fail(LoginStatusCode.InitiatorError);
            case TextAccumulateResult.NeedMore:
                // RFC 7143 §11.12.2 (C bit): the target answers each partial request with an empty response.
                return new LoginResponse { CurrentStage = (byte)_stage, Tsih = _tsih };
        }

        if (!TextKeyValues.TryParse(_accumulator.Take(), out TextKeyValues pairs, out _))
        {
            return Fail(LoginStatusCode.InitiatorError);
        }

        foreach (TextKeyValue pair in pairs)
        {
            // RFC 7143 §6.2: renegotiating or redeclaring a key during login is an initiator error.
            if (!_seenKeys.Add(pair.Key))
            {
                return Fail(LoginStatusCode.InitiatorError);
            }
        }

        var response = new TextKeyValues();
        if (!_identified)
        {
            LoginStatusCode? identifyError = Identify(pairs, response);
            if (identifyError is LoginStatusCode identifyStatus)
            {
                return Fail(identifyStatus);
            }
        }

        // RFC 7143 §6.3.2: an initiator may skip the security stage only when the target requires no authentication.
        if (_stage == LoginStage.LoginOperationalNegotiation && !IsAuthenticated)
        {
            if (_credentials is not null)
            {
                return Fail(LoginStatusCode.AuthenticationFailure);
            }

            IsAuthenticated = true;
        }

        LoginStatusCode? keyError = ProcessKeys(pairs, response);
        if (keyError is LoginStatusCode keyStatus)
        {
            return Fail(keyStatus);
        }

        if (_stage == LoginStage.SecurityNegotiation)
        {
            LoginStatusCode? authError = ProcessSecurity(pairs, request.Transit, response);
            if (authError is LoginStatusCode authStatus)
            {
                return Fail(authStatus);
            }
        }
        else
        {
            _negotiator.DeclareMaxRecvDataSegmentLength(response);
            _negotiator.FixUpResponse(response);
        }

        return Respond(request, response);
    }

    private LoginStatusCode? CheckHeader(in LoginRequest request)
    {
        if (!_started)
        {
            // RFC 7143 §11.12.4: version 0x00 is the only one; VersionMin above it cannot be served.
            if (request.VersionMin > 0)
            {
                return LoginStatusCode.UnsupportedVersion;
            }

            _started = true;
            _isid = request.Isid & 0xFFFF_FFFF_FFFF;
            _tsih = request.Tsih;
            _cid = request.Cid;
            IsLeadingConnection = request.Tsih == 0;
            _negotiator.IsLeadingConnection = IsLeadingConnection;
            if (request.CurrentStage is not ((byte)LoginStage.SecurityNegotiation or (byte)LoginStage.LoginOperationalNegotiation))
            {
                return LoginStatusCode.InitiatorError;
            }

            _stage = (LoginStage)request.CurrentStage;
        }
        else if ((request.Isid & 0xFFFF_FFFF_FFFF) != _isid || request.Tsih != _tsih || request.Cid != _cid)
        {
            // RFC 7143 §11.12: ISID, TSIH and CID stay the same for the whole login.
            return LoginStatusCode.InitiatorError;
        }

        if (request.CurrentStage != (byte)_stage)
        {
            return LoginStatusCode.InitiatorError;
        }

        // RFC 7143 §11.12.2: C=1 requires T=0.
        if (request.Transit && request.Continue)
        {
            return LoginStatusCode.InitiatorError;
        }

        // RFC 7143 §11.12.3: with T=1, NSG is a later stage: 0→1, 0→3 or 1→3 (2 is reserved).
        if (request.Transit
            && (request.NextStage is not ((byte)LoginStage.LoginOperationalNegotiation or (byte)LoginStage.FullFeaturePhase)
                || request.NextStage <= request.CurrentStage))
        {
            return LoginStatusCode.InitiatorError;
        }

        return null;
    }

    private LoginStatusCode? Identify(TextKeyValues pairs, TextKeyValues response)
    {
        // RFC 7143 §13.5 / §6.3: the first login request carries InitiatorName.
        if (!pairs.TryGetValue(TextKeyTable.InitiatorName, out string initiatorName))
        {
            return LoginStatusCode.MissingParameter;
        }

        if (initiatorName.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(initiatorName) > TextKeyTable.MaxNameLength)
        {
            return LoginStatusCode.InitiatorError;
        }

        // RFC 7143 §13.21: SessionType defaults to Normal.
        SessionType sessionType = SessionType.Normal;
        if (pairs.TryGetValue(TextKeyTable.SessionType, out string type))
        {
            switch (type)
            {
                case "Normal":
                    break;
                case "Discovery":
                    sessionType = SessionType.Discovery;
                    break;
                default:
                    return LoginStatusCode.SessionTypeNotSupported;
            }
        }

        TargetDefinition? target = null;
        InitiatorAcl? acl = null;
        if (sessionType == SessionType.Normal)
        {
            // RFC 7143 §13.4: TargetName is required in the first login request of a normal session.
            if (!pairs.TryGetValue(TextKeyTable.TargetName, out string targetName))
            {
                return LoginStatusCode.MissingParameter;
            }

            target = FindTarget(targetName);
            if (target is null)
            {
                return LoginStatusCode.NotFound;
            }

            if (target.Acls.Count > 0)
            {
                acl = FindAcl(target, initiatorName);
                if (acl is null)
                {
                    return LoginStatusCode.AuthorizationFailure;
                }
            }

            _credentials = acl?.Chap ?? target.Chap;
            _mutualCredentials = target.MutualChap;
        }
        else
        {
            // Discovery: the server's discovery credentials, if it has any (RFC 7143 §12.1 applies to both types).
            _credentials = _options.DiscoveryChap;
            _mutualCredentials = _options.DiscoveryMutualChap;
        }

        _identified = true;
        InitiatorName = initiatorName;
        Target = target;
        Acl = acl;
        _parameters.InitiatorName = initiatorName;
        _parameters.SessionType = sessionType;
        _parameters.TargetName = target?.Name;
        _negotiator.IsLeadingConnection = IsLeadingConnection;

        if (sessionType == SessionType.Normal)
        {
            // RFC 7143 §13.9: the target declares its portal group tag in the first login response.
            response.Add(TextKeyTable.TargetPortalGroupTag, _policy.TargetPortalGroupTag.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (!string.IsNullOrEmpty(target!.Alias))
            {
                response.Add(TextKeyTable.TargetAlias, target.Alias);
            }
        }

        return null;
    }

    private TargetDefinition? FindTarget(string name)
    {
        // RFC 3722: iSCSI names are compared after normalization (which folds case).
        foreach (TargetDefinition target in _options.Targets)
        {
            if (string.Equals(target.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return target;
            }
        }

        return null;
    }

    internal static InitiatorAcl? FindAcl(TargetDefinition target, string initiatorName)
    {
        foreach (InitiatorAcl acl in target.Acls)
        {
            if (string.Equals(acl.InitiatorName, initiatorName, StringComparison.OrdinalIgnoreCase))
            {
                return acl;
            }
        }

        return null;
    }

    private LoginStatusCode? ProcessKeys(TextKeyValues pairs, TextKeyValues response)
    {
        foreach (TextKeyValue pair in pairs)
        {
            if (!TextKeyTable.TryGet(pair.Key, out TextKeyDefinition definition))
            {
                // RFC 7143 §6.2: unknown keys, X- and X# extension keys included, are answered NotUnderstood.
                response.Add(pair.Key, TextValues.NotUnderstood);
                continue;
            }

            if (pair.Key is TextKeyTable.InitiatorName or TextKeyTable.TargetName or TextKeyTable.SessionType)
            {
                continue; // handled by Identify on the first request
            }

            // RFC 7143 §13.3: SendTargets only in full-feature phase.
            if (!definition.AllowedInLogin)
            {
                return LoginStatusCode.InitiatorError;
            }

            // RFC 7143 §6.3: security keys only in the security stage, operational keys only in the operational stage.
            if (definition.Stage == TextKeyStage.Security)
            {
                if (_stage != LoginStage.SecurityNegotiation)
                {
                    return LoginStatusCode.InitiatorError;
                }

                continue; // ProcessSecurity
            }

            if (definition.Stage == TextKeyStage.Operational && _stage != LoginStage.LoginOperationalNegotiation)
            {
                return LoginStatusCode.InitiatorError;
            }

            LoginStatusCode? error = _negotiator.Process(definition, pair.Value, response);
            if (error is not null)
            {
                return error;
            }
        }

        return null;
    }

    private LoginStatusCode? ProcessSecurity(TextKeyValues pairs, bool initiatorTransit, TextKeyValues response)
    {
        if (pairs.TryGetValue(TextKeyTable.AuthMethod, out string methods))
        {
            if (_chap is not null || IsAuthenticated || !TextValues.TrySplitList(methods, out string[] offered))
            {
                return LoginStatusCode.InitiatorError;
            }

            if (_credentials is not null)
            {
                // CHAP required (target or ACL has credentials): an initiator that cannot do CHAP fails.
                if (Array.IndexOf(offered, "CHAP") < 0)
                {
                    return LoginStatusCode.AuthenticationFailure;
                }

                response.Add(TextKeyTable.AuthMethod, "CHAP");
                _chap = new TargetChapAuthenticator(_credentials, _mutualCredentials, _policy.ChapAlgorithms, _random);
            }
            else if (Array.IndexOf(offered, "None") >= 0)
            {
                response.Add(TextKeyTable.AuthMethod, "None");
                IsAuthenticated = true;
            }
            else
            {
                // Only methods we cannot verify (no secret configured for CHAP; SRP/KRB5 unsupported).
                return LoginStatusCode.AuthenticationFailure;
            }
        }

        if (pairs.TryGetValue(TextKeyTable.ChapA, out string algorithms))
        {
            if (_chap is null)
            {
                return LoginStatusCode.InitiatorError;
            }

            LoginStatusCode? error = _chap.OnAlgorithms(algorithms, response);
            if (error is not null)
            {
                return error;
            }
        }

        bool hasName = pairs.TryGetValue(TextKeyTable.ChapN, out string name);
        bool hasResponse = pairs.TryGetValue(TextKeyTable.ChapR, out string chapResponse);
        bool hasId = pairs.TryGetValue(TextKeyTable.ChapI, out string id);
        bool hasChallenge = pairs.TryGetValue(TextKeyTable.ChapC, out string challenge);
        if (hasName || hasResponse || hasId || hasChallenge)
        {
            if (_chap is null)
            {
                return LoginStatusCode.InitiatorError;
            }

            LoginStatusCode? error = _chap.OnResponse(
                hasName ? name : null, hasResponse ? chapResponse : null, hasId ? id : null, hasChallenge ? challenge : null, response);
            if (error is not null)
            {
                return error;
            }

            IsAuthenticated = true;
        }

        if (initiatorTransit && !IsAuthenticated)
        {
            if (_credentials is not null && _chap is null)
            {
                // Leaving the security stage without ever offering AuthMethod while CHAP is required.
                return LoginStatusCode.AuthenticationFailure;
            }

            if (_credentials is null)
            {
                IsAuthenticated = true; // RFC 7143 §12: AuthMethod defaults to None.
            }
        }

        return null;
    }

    private LoginResponse Respond(in LoginRequest request, TextKeyValues response)
    {
        bool transit = false;
        LoginStage next = _stage;

        // RFC 7143 §6.3, §11.13 (T bit): the target sets T only when the initiator did and its own negotiation is done.
        if (request.Transit)
        {
            if (_stage == LoginStage.SecurityNegotiation)
            {
                if (IsAuthenticated)
                {
                    transit = true;
                    next = (LoginStage)request.NextStage;

                    // Asked for 0→3 but we must offer operational values first: go to stage 1 instead.
                    if (next == LoginStage.FullFeaturePhase && _negotiator.NeedsTargetOffers())
                    {
                        next = LoginStage.LoginOperationalNegotiation;
                    }
                }
            }
            else if (!_negotiator.HasPendingOffers && !_negotiator.AddTargetOffers(response))
            {
                transit = true;
                next = LoginStage.FullFeaturePhase;
            }
        }

        ushort tsih = _tsih;
        if (transit && next == LoginStage.FullFeaturePhase)
        {
            if (_bindSession is not null)
            {
                SessionBinding binding = _bindSession(new SessionBindingRequest(
                    _isid, _tsih, _cid, InitiatorName!, Target, Acl, _parameters.SessionType, _parameters));
                if (binding.Status != LoginStatusCode.Success)
                {
                    return Fail(binding.Status);
                }

                tsih = binding.Tsih;
            }

            _tsih = tsih;
            IsComplete = true;
        }

        var result = new LoginResponse
        {
            CurrentStage = (byte)_stage,
            NextStage = transit ? (byte)next : (byte)0,
            Transit = transit,
            Data = response.ToArray(),
            Tsih = tsih,
        };

        if (transit)
        {
            _stage = next;
        }

        return result;
    }

    private LoginResponse Fail(LoginStatusCode status)
    {
        Failed = true;
        _accumulator.Reset();
        return LoginResponse.Failure(status, (byte)_stage, _tsih);
    }
}
