namespace NetScsi.Cli.Json.Output;

/// <summary>
/// The state a running <c>netscsi ip up</c> keeps in its state file, and what <c>netscsi ip show --json</c> prints
/// (an array of them): the interface, its communications device, and each neighbour's link.
/// </summary>
internal sealed record IpStatusJson(
    string Interface,
    int Pid,
    string? Address,
    int Mtu,
    string Target,
    int Lun,
    IReadOnlyList<string> Listen,
    IpInterfaceCountersJson Counters,
    IpDeviceCountersJson Device,
    IReadOnlyList<IpNeighbourJson> Neighbours);

/// <summary>What the interface moved between its IP stack and its SCSI links (<c>InterfaceCounters</c>).</summary>
internal sealed record IpInterfaceCountersJson(
    long TxDatagrams,
    long TxBytes,
    long TxUnresolved,
    long TxNotIpv4,
    long TxLinkDropped,
    long RxDatagrams,
    long RxBytes,
    long RxDropped,
    long QueriesSent,
    long QueriesAnswered,
    long NeighboursLearned,
    long QueriesUnmatched);

/// <summary>What the local communications device did with the SEND MESSAGE commands it got.</summary>
internal sealed record IpDeviceCountersJson(
    long Delivered,
    long DeliveredBytes,
    long Dropped,
    long QueueFullRefusals,
    long UnknownStreamRefusals,
    long LengthRefusals);

/// <summary>One neighbour: its address (configured or learned), where its communications device is, its link.</summary>
internal sealed record IpNeighbourJson(
    string? Address,
    bool Learned,
    string? Target,
    string? Portal,
    ulong Lun,
    string State,
    long Sent,
    long SentBytes,
    long DroppedDown,
    long DroppedFull,
    long Busy,
    long Rejected,
    long Failed,
    long Connects);
