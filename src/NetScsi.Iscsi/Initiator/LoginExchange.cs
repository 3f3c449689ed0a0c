using NetScsi.Iscsi.Login;
using NetScsi.Iscsi.Pdus;
using NetScsi.Iscsi.Session;
using NetScsi.Transport;

namespace NetScsi.Iscsi.Initiator;

/// <summary>The outcome of a successful login on one connection.</summary>
internal sealed record LoginOutcome(IscsiSessionParameters Parameters, ushort Tsih, uint ExpStatSN, uint ExpCmdSN, uint MaxCmdSN, string? TargetAlias, LoginAuthentication Authentication);

/// <summary>Drives <see cref="InitiatorLoginStateMachine"/> over a <see cref="LoginChannel"/> (RFC 7143 §6.3).</summary>
internal static class LoginExchange
{
    /// <param name="capabilities">What the connection's data mover lets the login negotiate.</param>
    /// <param name="tsih">0 for a leading login (a new session, or its reinstatement); the session's TSIH to add a connection to it (RFC 7143 §6.3.1).</param>
    /// <param name="cid">The connection's CID, unique within the session (RFC 7143 §11.12.7).</param>
    /// <param name="leadingParameters">With a non-zero <paramref name="tsih"/>: the session's negotiated values.</param>
    public static async Task<LoginOutcome> RunAsync(LoginChannel channel, DataMoverCapabilities capabilities, IscsiSessionOptions options, SessionType type, ulong isid, uint cmdSN, CancellationToken cancellationToken,
        ushort tsih = 0, ushort cid = 0, IscsiSessionParameters? leadingParameters = null)
    {
        if ((tsih != 0) != (leadingParameters is not null))
        {
            throw new ArgumentException("A non-leading login needs both the session's TSIH and its parameters.", nameof(leadingParameters));
        }

        var machine = new InitiatorLoginStateMachine(options, type, capabilities: capabilities, leadingParameters: leadingParameters);
        InitiatorLoginRequest? request = machine.Start();
        uint expStatSN = 0;
        uint expCmdSN = cmdSN;
        uint maxCmdSN = cmdSN;
        const uint itt = 0;
        var header = new byte[Bhs.Length];
        while (request is not null)
        {
            byte[] data = request.Data;
            new LoginRequestPdu
            {
                Transit = request.Transit,
                CurrentStage = (byte)request.CurrentStage,
                NextStage = request.Transit ? (byte)request.NextStage : (byte)0,
                VersionMax = 0,
                VersionMin = 0,
                DataSegmentLength = data.Length,
                Isid = isid,
                Tsih = tsih,
                InitiatorTaskTag = itt,
                Cid = cid,
                CmdSN = cmdSN,
                ExpStatSN = expStatSN,
            }.WriteTo(header);
            await channel.SendAsync(header, data, cancellationToken).ConfigureAwait(false);

            var (responseHeader, responseData) = await channel.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            if (Bhs.GetOpcode(responseHeader) != IscsiOpcode.LoginResponse)
            {
                // RFC 7143 §11.13: only a Login Response answers a Login Request; anything else is a protocol violation.
                throw new IscsiProtocolException($"the peer answered a Login Request with opcode 0x{(byte)Bhs.GetOpcode(responseHeader):X2}, not a Login Response");
            }

            var pdu = LoginResponsePdu.Parse(responseHeader);
            if (pdu.InitiatorTaskTag != itt)
            {
                throw new IscsiProtocolException("the Login Response carries another Initiator Task Tag");
            }

            expStatSN = pdu.StatSN + 1;
            expCmdSN = pdu.ExpCmdSN;
            maxCmdSN = pdu.MaxCmdSN;
            request = machine.Process(new LoginResponse
            {
                CurrentStage = pdu.CurrentStage,
                NextStage = pdu.NextStage,
                Transit = pdu.Transit,
                Continue = pdu.Continue,
                StatusClass = pdu.StatusClass,
                StatusDetail = pdu.StatusDetail,
                Tsih = pdu.Tsih,
                Data = responseData,
            });
        }

        if (tsih != 0 && machine.Tsih != tsih)
        {
            // RFC 7143 §11.13.4: the final response of a login that adds a connection carries the session's TSIH.
            throw new IscsiProtocolException($"the target answered a login to session TSIH {tsih} with TSIH {machine.Tsih}");
        }

        return new LoginOutcome(machine.Parameters, machine.Tsih, expStatSN, expCmdSN, maxCmdSN, machine.TargetAlias, machine.Authentication);
    }
}
