using System.Net;
using Microsoft.Extensions.Logging;
using NetScsi.Iscsi.Login;
using NetScsi.Transport;

namespace NetScsi.Iscsi.Initiator;

/// <summary>Everything an initiator session needs: where, who, how to authenticate, what to negotiate, and its timers.</summary>
public sealed class IscsiSessionOptions
{
    /// <summary>The portal to connect to, of <see cref="Connector"/>'s transport. Required.</summary>
    public Portal? Portal { get; set; }

    /// <summary>How the session reaches <see cref="Portal"/> (a transport: TCP, raw Ethernet, ...). Required.</summary>
    public IDataMoverConnector? Connector { get; set; }

    /// <summary>The target to log into; null only for discovery sessions.</summary>
    public string? TargetName { get; set; }

    /// <summary>Our iSCSI name; by default <c>iqn.2026-11.org.netscsi:initiator-&lt;host&gt;</c>.</summary>
    public string InitiatorName { get; set; } = DefaultInitiatorName();

    /// <summary>Optional InitiatorAlias declaration.</summary>
    public string? InitiatorAlias { get; set; }

    /// <summary>48-bit ISID; null = a random one per session (type 0x80, random qualifier, RFC 7143 §11.12.5).</summary>
    public ulong? Isid { get; set; }

    /// <summary>CHAP user name; with <see cref="ChapSecret"/> enables CHAP (one-way).</summary>
    public string? ChapUser { get; set; }

    /// <summary>CHAP secret the target checks.</summary>
    public string? ChapSecret { get; set; }

    /// <summary>For mutual CHAP: the name the target must answer with.</summary>
    public string? MutualChapUser { get; set; }

    /// <summary>For mutual CHAP: the secret the target must prove it knows. Setting it enables mutual CHAP.</summary>
    public string? MutualChapSecret { get; set; }

    /// <summary>CHAP_A values we offer, in preference order (default SHA-256, SHA-1, MD5; add SHA3-256 to prefer it).</summary>
    public IReadOnlyList<ChapAlgorithm> ChapAlgorithms { get; set; } = [ChapAlgorithm.Sha256, ChapAlgorithm.Sha1, ChapAlgorithm.Md5];

    /// <summary>Offer CRC32C header digests (first choice; None stays acceptable unless <see cref="RequireDigests"/>).</summary>
    public bool HeaderDigest { get; set; }

    /// <summary>Offer CRC32C data digests (first choice; None stays acceptable unless <see cref="RequireDigests"/>).</summary>
    public bool DataDigest { get; set; }

    /// <summary>When digests are offered, do not accept None.</summary>
    public bool RequireDigests { get; set; }

    /// <summary>Our MaxRecvDataSegmentLength declaration (RFC 7143 §13.12).</summary>
    public int MaxRecvDataSegmentLength { get; set; } = 262144;

    /// <summary>Most connections a session may have (RFC 7143 §13.2).</summary>
    public const int MaxConnectionsLimit = 16;

    /// <summary>
    /// How many connections the session opens (MC/S, RFC 7143 §4.2.2, §6.3): offered as MaxConnections on the leading
    /// login; then <c>min(Connections, negotiated MaxConnections)</c> in total, each extra one logged in with the
    /// session's ISID and TSIH. 1 (the default) to <see cref="MaxConnectionsLimit"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside 1..16.</exception>
    public int Connections
    {
        get => _connections;
        set
        {
            if (value is < 1 or > MaxConnectionsLimit)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"Connections must be 1 to {MaxConnectionsLimit} (connections per session).");
            }

            _connections = value;
        }
    }

    private int _connections = 1;

    /// <summary>MaxBurstLength we offer (RFC 7143 §13.13).</summary>
    public int MaxBurstLength { get; set; } = 16776192;

    /// <summary>FirstBurstLength we offer (RFC 7143 §13.14).</summary>
    public int FirstBurstLength { get; set; } = 262144;

    /// <summary>ImmediateData we offer (RFC 7143 §13.11, AND).</summary>
    public bool ImmediateData { get; set; } = true;

    /// <summary>InitialR2T we offer (RFC 7143 §13.10, OR): false asks for unsolicited Data-Out.</summary>
    public bool InitialR2T { get; set; }

    /// <summary>MaxOutstandingR2T we offer (RFC 7143 §13.17).</summary>
    public int MaxOutstandingR2T { get; set; } = 16;

    /// <summary>
    /// DataPDUInOrder we offer (RFC 7143 §13.18, OR). false (No) lets the target send the Data-In of a sequence in any
    /// order: they are placed by BufferOffset. The default asks for Yes, as the peers we meet expect.
    /// </summary>
    public bool DataPduInOrder { get; set; } = true;

    /// <summary>
    /// DataSequenceInOrder we offer (RFC 7143 §13.19, OR). false (No) lets the target send Data-In sequences and R2Ts
    /// in any order: R2Ts are answered in the order they arrive, whatever their offsets.
    /// </summary>
    public bool DataSequenceInOrder { get; set; } = true;

    /// <summary>DefaultTime2Wait we offer (RFC 7143 §13.15).</summary>
    public int DefaultTime2Wait { get; set; } = 2;

    /// <summary>DefaultTime2Retain we offer (RFC 7143 §13.16).</summary>
    public int DefaultTime2Retain { get; set; }

    /// <summary>A command without a response for this long is aborted (ABORT TASK → LUN RESET → session re-open). Zero or negative disables.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Idle time after which we ping the target with a NOP-Out. Zero disables pings.</summary>
    public TimeSpan NopInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a ping may stay unanswered before the connection is declared failed.</summary>
    public TimeSpan NopTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a lost session may take to come back before outstanding commands fail (open-iscsi's replacement_timeout, 120 s).</summary>
    public TimeSpan ReplacementTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Run the continuation of an awaited command on the session's receive loop, as soon as its response
    /// is parsed, instead of queueing it to the thread pool: one thread hop less per command, and the
    /// commands such continuations submit go out in one batch. Only for callers whose continuations are
    /// short and never block (no waiting on another command of the session, which would deadlock the
    /// receive loop). Off by default.
    /// </summary>
    public bool InlineCompletions { get; set; }

    /// <summary>
    /// When the session waits for the answer to its only outstanding command, it first polls the connection
    /// for up to this long before its thread sleeps. An answer that comes within microseconds (a target on the
    /// same host, a fast LAN) is then taken without the cost of a wake-up, which on a virtual machine can
    /// exceed the round trip itself. Polling burns the CPU it runs on, so it is kept to lone commands (deeper
    /// queues answer in batches that one wake-up serves) and, after a poll that found nothing, skipped for the
    /// next waits: against slower targets it turns itself off. Only transports that can poll (TCP) do. The
    /// loop finds one command out when it is about to wait if the caller submitted the next one from an
    /// inline continuation (<see cref="InlineCompletions"/>), as <c>netscsi bench</c> does at queue depth 1.
    /// The same goes for the rest of a large Data-In whose start has arrived, at any queue depth: a target that
    /// writes header and data separately (tgt) leaves a gap of microseconds between them, shorter than a sleep
    /// and a wake-up; that poll backs off the same way on its own.
    /// 50 µs by default; zero disables both.
    /// </summary>
    public TimeSpan ReceivePollTime { get; set; } = TimeSpan.FromMicroseconds(50);

    /// <summary>Time allowed for connect + login.</summary>
    public TimeSpan LoginTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Where the session logs; nothing by default.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>Clock for timers (tests substitute a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The default initiator name for this host.</summary>
    public static string DefaultInitiatorName()
    {
        string host;
        try
        {
            host = Dns.GetHostName();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            host = "localhost";
        }

        var clean = new System.Text.StringBuilder(host.Length);
        foreach (char c in host.ToLowerInvariant())
        {
            clean.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '-');
        }

        return "iqn.2026-11.org.netscsi:initiator-" + (clean.Length == 0 ? "localhost" : clean.ToString());
    }

    /// <summary>Fills <see cref="Portal"/>, <see cref="Connector"/>, <see cref="TargetName"/> and CHAP credentials from a URL.</summary>
    /// <param name="url">The parsed URL.</param>
    /// <param name="transport">The transport the URL's scheme names (TCP for <c>iscsi://</c>).</param>
    /// <exception cref="FormatException">The URL's portal is not one of <paramref name="transport"/>'s.</exception>
    public static IscsiSessionOptions FromUrl(IscsiUrl url, IDataMoverTransport transport)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(transport);
        if (!transport.TryParsePortal(url.Address, IscsiUrl.DefaultPort, out Portal? portal, out string? error))
        {
            throw new FormatException(error);
        }

        return new IscsiSessionOptions
        {
            Portal = portal,
            Connector = transport,
            TargetName = url.TargetName,
            ChapUser = url.User,
            ChapSecret = url.Password,
        };
    }

    /// <summary>The portal and connector, both required.</summary>
    internal (Portal Portal, IDataMoverConnector Connector) RequireConnection() =>
        (Portal ?? throw new ArgumentException("IscsiSessionOptions.Portal is required."),
         Connector ?? throw new ArgumentException("IscsiSessionOptions.Connector is required (a transport, e.g. TcpTransport)."));

    internal bool UsesChap => ChapUser is not null && ChapSecret is not null;

    internal bool UsesMutualChap => MutualChapSecret is not null;

    /// <summary>A copy of these options (lists shared: they are replaced, never changed in place).</summary>
    public IscsiSessionOptions Clone() => (IscsiSessionOptions)MemberwiseClone();
}
