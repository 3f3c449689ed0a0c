using NetScsi.Transport;

namespace NetScsi.Iscsi.Configuration;

/// <summary>Everything a target server serves: portals, targets, limits. Built by the CLI from flags or a config file.</summary>
public sealed class IscsiTargetOptions
{
    /// <summary>Portals to listen on, of any transport in <see cref="Transports"/>.</summary>
    public IList<Portal> Portals { get; } = new List<Portal>();

    /// <summary>The transports that bind <see cref="Portals"/> (the composition root picks them: TCP, raw Ethernet, ...).</summary>
    public IList<IDataMoverTransport> Transports { get; } = new List<IDataMoverTransport>();

    public IList<TargetDefinition> Targets { get; } = new List<TargetDefinition>();

    /// <summary>Commands a session may have outstanding: MaxCmdSN − ExpCmdSN + 1 (the CmdSN window).</summary>
    public int QueueDepth { get; set; } = 128;

    /// <summary>
    /// Bytes of command data buffers one session may hold at once. Beyond it new data-carrying
    /// commands get TASK SET FULL, so memory stays bounded whatever transfer lengths a peer announces.
    /// </summary>
    public long SessionBufferBudget { get; set; } = 64L * 1024 * 1024;

    /// <summary>Our MaxRecvDataSegmentLength declaration (RFC 7143 §13.12), 512..16777215.</summary>
    public int MaxRecvDataSegmentLength { get; set; } = 262144;

    /// <summary>Largest MaxBurstLength / FirstBurstLength we accept.</summary>
    public int MaxBurstLength { get; set; } = 1048576;

    public int FirstBurstLength { get; set; } = 262144;

    /// <summary>
    /// Most connections one session may have (RFC 7143 §13.2, Minimum with the initiator's offer): MC/S. Initiators
    /// that offer 1 (the Linux kernel, libiscsi) get 1.
    /// </summary>
    public int MaxConnections { get; set; } = 4;

    /// <summary>MaxOutstandingR2T we offer (RFC 7143 §13.17).</summary>
    public int MaxOutstandingR2T { get; set; } = 8;

    /// <summary>
    /// DataPDUInOrder we answer (RFC 7143 §13.18, OR): false (No) accepts the Data-Out of a sequence in any order,
    /// placed by offset; the outcome is Yes whenever the initiator asks for Yes, as libiscsi and Linux do.
    /// </summary>
    public bool DataPduInOrder { get; set; }

    /// <summary>
    /// DataSequenceInOrder we answer (RFC 7143 §13.19, OR): false (No) accepts the Data-Out sequences of a write's
    /// outstanding R2Ts in any order.
    /// </summary>
    public bool DataSequenceInOrder { get; set; }

    /// <summary>Idle time after which the target pings with NOP-In; zero disables pings.</summary>
    public TimeSpan NopInInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a ping may go unanswered before the connection is declared dead.</summary>
    public TimeSpan NopInTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time a login may take before the connection is dropped (RFC 7143 §6.1: login timeout).</summary>
    public TimeSpan LoginTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// On a graceful stop, how long the target waits for initiators to log out after asking them to (AsyncEvent 1,
    /// RFC 7143 §11.9.1, with this many whole seconds in Parameter3) before it announces the drop (AsyncEvent 2) and
    /// closes what is left. Zero closes at once without asking.
    /// </summary>
    public TimeSpan LogoutGracePeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Limits on connections in login and on sessions per target and per initiator address.</summary>
    public IscsiTargetLimits Limits { get; } = new();

    /// <summary>Target portal group tag reported in SendTargets and the final login response.</summary>
    public ushort TargetPortalGroupTag { get; set; } = 1;

    /// <summary>
    /// CHAP credentials every discovery session must authenticate with (LIO's discovery_auth); null lets anyone
    /// ask SendTargets. Without them an initiator learns no target name or portal.
    /// </summary>
    public ChapCredentials? DiscoveryChap { get; set; }

    /// <summary>Credentials the target answers with when a discovery session asks it to authenticate (mutual CHAP).</summary>
    public ChapCredentials? DiscoveryMutualChap { get; set; }
}
