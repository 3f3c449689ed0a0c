using System.Buffers;
using NetScsi.Iscsi.Login;
using NetScsi.Iscsi.Pdus;
using NetScsi.Iscsi.Session;

namespace NetScsi.Iscsi.Target;

internal sealed partial class TargetConnection
{
    private TargetLoginStateMachine? _login;
    private ushort _cid;
    private ulong _isid;
    private IscsiSessionParameters? _pendingParameters;
    private TargetSession? _pendingSession;

    /// <summary>Login phase (RFC 7143 §6.3): only Login Requests are valid until full feature phase.</summary>
    private async ValueTask<bool> HandleLoginPhaseAsync(PduFrame frame)
    {
        if (frame.Opcode != IscsiOpcode.LoginRequest)
        {
            // §6.3 / §11.13.5: anything else before the login completes is "invalid request during login".
            LogProtocolError(_logger, RemoteName, "non-login PDU during login: " + frame.Opcode);
            await SendLoginFailureAsync(frame.Header, LoginStatusCode.InvalidDuringLogin).ConfigureAwait(false);
            return false;
        }

        var pdu = LoginRequestPdu.Parse(frame.Header);
        if (_login is null)
        {
            _login = new TargetLoginStateMachine(_server.Options, random: null, policy: TargetLoginPolicy.FromOptions(_server.Options, _mover.Capabilities), bindSession: BindSession);
            _discoveryExpCmdSN = pdu.CmdSN;
            _cid = pdu.Cid;
            _isid = pdu.Isid;
            // §11.13.4: StatSN of the first login response; the initiator starts expecting it from here.
            _statSN = pdu.ExpStatSN;
        }

        var response = _login.Process(new LoginRequest
        {
            CurrentStage = pdu.CurrentStage,
            NextStage = pdu.NextStage,
            Transit = pdu.Transit,
            Continue = pdu.Continue,
            VersionMax = pdu.VersionMax,
            VersionMin = pdu.VersionMin,
            Isid = pdu.Isid,
            Tsih = pdu.Tsih,
            Itt = pdu.InitiatorTaskTag,
            Cid = pdu.Cid,
            CmdSN = pdu.CmdSN,
            ExpStatSN = pdu.ExpStatSN,
            Data = frame.Data.ToArray(),
        });

        bool final = response.IsFinal;
        if (final)
        {
            // The session (if any) exists from the binding callback; its window starts at this CmdSN.
            Session = _pendingSession;
        }
        await SendWithStatSNAsync(response.Data, new LoginResponsePdu
        {
            Transit = response.Transit,
            Continue = response.Continue,
            CurrentStage = response.CurrentStage,
            NextStage = response.NextStage,
            VersionMax = 0,
            VersionActive = 0,
            DataSegmentLength = response.Data.Length,
            Isid = pdu.Isid,
            Tsih = response.Tsih,
            InitiatorTaskTag = pdu.InitiatorTaskTag,
            StatusClass = response.StatusClass,
            StatusDetail = response.StatusDetail,
        }).ConfigureAwait(false);

        if (response.StatusClass != 0)
        {
            LogLoginFailed(_logger, RemoteName, response.Status.ToString());
            IscsiMeter.Login(response.Status.ToString());
            return false;
        }
        if (final)
        {
            EnterFullFeaturePhase(_pendingParameters ?? new IscsiSessionParameters(), _pendingSession);
            Admission?.LoginCompleted();
            IscsiMeter.Login("Success");
            LogLoggedIn(_logger, RemoteName, _pendingParameters?.InitiatorName ?? "?", _pendingParameters?.TargetName ?? "(discovery)");
            _login = null;
        }
        return true;
    }

    /// <summary>Called by the login state machine just before the final response (§6.3.1, §6.3.5).</summary>
    private SessionBinding BindSession(SessionBindingRequest request)
    {
        _pendingParameters = request.Parameters;
        if (request.SessionType == SessionType.Discovery)
        {
            // Discovery sessions get a TSIH but no SCSI state.
            return SessionBinding.Accept(_server.AllocateDiscoveryTsih());
        }
        if (request.Target is null)
        {
            return SessionBinding.Refuse(LoginStatusCode.NotFound);
        }
        if (!request.IsNewSession)
        {
            // MC/S (RFC 7143 §6.3.1): a login naming an existing session adds this connection to it.
            var (session, refusal) = _server.AddConnection(this, request);
            if (session is null)
            {
                return SessionBinding.Refuse(refusal);
            }
            _pendingSession = session;
            return SessionBinding.Accept(session.Tsih);
        }
        _pendingSession = _server.CreateSession(this, request.Target, request.Acl, request.Parameters, request.Isid, _discoveryExpCmdSN);
        // RFC 7143 §11.13.5: 0x0302 Out of resources, when a session limit (IscsiTargetLimits) is reached.
        return _pendingSession is null ? SessionBinding.Refuse(LoginStatusCode.OutOfResources) : SessionBinding.Accept(_pendingSession.Tsih);
    }

    private async ValueTask SendLoginFailureAsync(BhsBuffer header, LoginStatusCode status)
    {
        ReadOnlySpan<byte> bhs = header;
        await SendWithStatSNAsync(ReadOnlyMemory<byte>.Empty, new LoginResponsePdu
        {
            Isid = Bhs.GetOpcode(bhs) == IscsiOpcode.LoginRequest ? LoginRequestPdu.Parse(bhs).Isid : 0,
            InitiatorTaskTag = Bhs.GetInitiatorTaskTag(bhs),
            StatusClass = (byte)((ushort)status >> 8),
            StatusDetail = (byte)status,
        }).ConfigureAwait(false);
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "Connection {Remote}: login failed: {Status}")]
    private static partial void LogLoginFailed(Microsoft.Extensions.Logging.ILogger logger, string remote, string status);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "Connection {Remote}: {Initiator} logged in to {Target}")]
    private static partial void LogLoggedIn(Microsoft.Extensions.Logging.ILogger logger, string remote, string initiator, string target);
}
