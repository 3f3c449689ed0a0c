using System.Globalization;
using NetScsi.Iscsi.Pdus;
using NetScsi.Iscsi.Session;
using NetScsi.Iscsi.Text;
using NetScsi.Transport;

namespace NetScsi.Iscsi.Initiator;

/// <summary>One portal of a discovered target: <c>TargetAddress=host:port,tpgt</c> (RFC 7143 §13.8).</summary>
/// <param name="Address">The address as sent (host or bracketed IPv6 plus port).</param>
/// <param name="Host">Host or IP literal (IPv6 without brackets).</param>
/// <param name="Port">TCP port (3260 when not given).</param>
/// <param name="PortalGroupTag">Target portal group tag, or null when the target sent none.</param>
public sealed record DiscoveredPortal(string Address, string Host, int Port, ushort? PortalGroupTag);

/// <summary>A target reported by SendTargets (RFC 7143 §13.3, Appendix C).</summary>
/// <param name="TargetName">The target's iSCSI name.</param>
/// <param name="Portals">Its portals; may be empty when the target reports none.</param>
public sealed record DiscoveredTarget(string TargetName, IReadOnlyList<DiscoveredPortal> Portals);

/// <summary>SendTargets discovery over a discovery session (RFC 7143 Appendix C).</summary>
public static class IscsiDiscovery
{
    /// <summary>Logs in with SessionType=Discovery, asks <c>SendTargets=All</c>, logs out.</summary>
    /// <param name="options">The portal and connector, initiator name, CHAP, digests and timeouts; TargetName is ignored.</param>
    /// <param name="cancellationToken">Cancels the whole exchange.</param>
    public static async Task<IReadOnlyList<DiscoveredTarget>> DiscoverAsync(IscsiSessionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options = options.Clone();
        options.TargetName = null;
        (Portal portal, IDataMoverConnector connector) = options.RequireConnection();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.LoginTimeout + options.LoginTimeout);
        CancellationToken token = timeout.Token;
        var connection = new InitiatorConnection(await connector.ConnectAsync(portal, token).ConfigureAwait(false));
        try
        {
            LoginChannel channel = connection.Channel;
            ulong isid = options.Isid ?? ((0x80UL << 40) | (uint)System.Security.Cryptography.RandomNumberGenerator.GetInt32(1, int.MaxValue));
            LoginOutcome login = await LoginExchange.RunAsync(channel, connection.Mover.Capabilities, options, SessionType.Discovery, isid, 1, token).ConfigureAwait(false);
            // The discovery session's Text exchanges go on through the channel, framed as the login negotiated.
            connection.EnableDatamover(login, now: 0, session: null);
            uint cmdSN = login.ExpCmdSN;
            uint expStatSN = login.ExpStatSN;

            var text = new List<byte>();
            byte[] request = new TextKeyValues { { TextKeyTable.SendTargets, "All" } }.ToArray();
            uint ttt = Bhs.ReservedTag;
            const uint itt = 1;
            var header = new byte[Bhs.Length];
            while (true)
            {
                new TextRequestPdu
                {
                    Final = true,
                    DataSegmentLength = request.Length,
                    InitiatorTaskTag = itt,
                    TargetTransferTag = ttt,
                    CmdSN = cmdSN,
                    ExpStatSN = expStatSN,
                }.WriteTo(header);
                await channel.SendAsync(header, request, token).ConfigureAwait(false);
                cmdSN++;
                var (responseHeader, data) = await ReceiveSkippingNopAsync(channel, () => expStatSN, token).ConfigureAwait(false);
                if (Bhs.GetOpcode(responseHeader) != IscsiOpcode.TextResponse)
                {
                    throw new IscsiProtocolException($"The target answered SendTargets with {Bhs.GetOpcode(responseHeader)}.");
                }

                var response = TextResponsePdu.Parse(responseHeader);
                expStatSN = response.StatSN + 1;
                text.AddRange(data);
                if (!response.Continue)
                {
                    break;
                }

                // RFC 7143 §11.11.2: ask for the rest with an empty request echoing the TTT.
                ttt = response.TargetTransferTag;
                request = [];
                if (text.Count > TextAccumulator.DefaultMaxLength * 16)
                {
                    throw new IscsiProtocolException("The SendTargets answer is too large.");
                }
            }

            if (!TextKeyValues.TryParse(text.ToArray(), out TextKeyValues pairs, out TextParseStatus status, allowDuplicateKeys: true))
            {
                throw new IscsiProtocolException($"The SendTargets answer is malformed ({status}).");
            }

            await LogoutAsync(channel, cmdSN, expStatSN, token).ConfigureAwait(false);
            return Parse(pairs);
        }
        finally
        {
            await connection.CloseAsync().ConfigureAwait(false);
        }
    }

    private static async Task<(byte[] Header, byte[] Data)> ReceiveSkippingNopAsync(LoginChannel channel, Func<uint> expStatSN, CancellationToken token)
    {
        while (true)
        {
            var pdu = await channel.ReceiveAsync(token).ConfigureAwait(false);
            if (Bhs.GetOpcode(pdu.Header) != IscsiOpcode.NopIn)
            {
                return pdu;
            }

            var ping = NopInPdu.Parse(pdu.Header);
            if (ping.TargetTransferTag != Bhs.ReservedTag)
            {
                var header = new byte[Bhs.Length];
                new NopOutPdu
                {
                    Immediate = true,
                    InitiatorTaskTag = Bhs.ReservedTag,
                    TargetTransferTag = ping.TargetTransferTag,
                    CmdSN = ping.ExpCmdSN,
                    ExpStatSN = expStatSN(),
                }.WriteTo(header);
                await channel.SendAsync(header, ReadOnlyMemory<byte>.Empty, token).ConfigureAwait(false);
            }
        }
    }

    private static async Task LogoutAsync(LoginChannel channel, uint cmdSN, uint expStatSN, CancellationToken token)
    {
        var header = new byte[Bhs.Length];
        new LogoutRequestPdu
        {
            Immediate = true,
            Reason = LogoutReason.CloseSession,
            InitiatorTaskTag = 2,
            CmdSN = cmdSN,
            ExpStatSN = expStatSN,
        }.WriteTo(header);
        try
        {
            await channel.SendAsync(header, ReadOnlyMemory<byte>.Empty, token).ConfigureAwait(false);
            await ReceiveSkippingNopAsync(channel, () => expStatSN, token).ConfigureAwait(false);
        }
        catch (IscsiConnectionException)
        {
            // The answer is what matters; a target that just closes is fine.
        }
    }

    private static List<DiscoveredTarget> Parse(TextKeyValues pairs)
    {
        var targets = new List<DiscoveredTarget>();
        string? name = null;
        List<DiscoveredPortal>? portals = null;
        foreach (TextKeyValue pair in pairs)
        {
            if (pair.Key == TextKeyTable.TargetName)
            {
                if (name is not null)
                {
                    targets.Add(new DiscoveredTarget(name, portals!));
                }

                name = pair.Value;
                portals = new List<DiscoveredPortal>();
            }
            else if (pair.Key == TextKeyTable.TargetAddress && portals is not null && TryParsePortal(pair.Value, out DiscoveredPortal? portal))
            {
                portals.Add(portal);
            }
        }

        if (name is not null)
        {
            targets.Add(new DiscoveredTarget(name, portals!));
        }

        return targets;
    }

    /// <summary>Parses <c>domainname[:port][,portal-group-tag]</c> with IPv6 in brackets (RFC 7143 §13.8).</summary>
    /// <param name="value">The TargetAddress value.</param>
    /// <param name="portal">The parsed portal.</param>
    public static bool TryParsePortal(string value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DiscoveredPortal? portal)
    {
        ArgumentNullException.ThrowIfNull(value);
        portal = null;
        string address = value;
        ushort? tag = null;
        int comma = value.LastIndexOf(',');
        if (comma >= 0)
        {
            if (!ushort.TryParse(value.AsSpan(comma + 1), NumberStyles.None, CultureInfo.InvariantCulture, out ushort parsed))
            {
                return false;
            }

            tag = parsed;
            address = value[..comma];
        }

        string host;
        int port = IscsiUrl.DefaultPort;
        if (address.StartsWith('['))
        {
            int close = address.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            host = address[1..close];
            string rest = address[(close + 1)..];
            if (rest.Length > 0 && (rest[0] != ':' || !int.TryParse(rest.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out port)))
            {
                return false;
            }
        }
        else
        {
            int colon = address.LastIndexOf(':');
            host = colon < 0 ? address : address[..colon];
            if (colon >= 0 && !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port))
            {
                return false;
            }
        }

        if (host.Length == 0 || port is < 1 or > 65535)
        {
            return false;
        }

        portal = new DiscoveredPortal(address, host, port, tag);
        return true;
    }
}
