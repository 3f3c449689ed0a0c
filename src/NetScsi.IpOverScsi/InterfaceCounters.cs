namespace NetScsi.IpOverScsi;

/// <summary>What an <see cref="IpOverScsiInterface"/> has moved between its IP stack and its SCSI links.</summary>
/// <param name="TransmitDatagrams">Datagrams from the stack handed to a peer link.</param>
/// <param name="TransmitBytes">Their bytes.</param>
/// <param name="TransmitUnresolved">Dropped: no neighbour owns the destination or its gateway (RFC 2143 §4).</param>
/// <param name="TransmitNotIpv4">Dropped: not an IPv4 datagram (RFC 2143 carries IPv4).</param>
/// <param name="TransmitLinkDropped">Dropped by the peer link (down, or too many in flight); the link's counters say which.</param>
/// <param name="ReceiveDatagrams">Datagrams from the communications device handed to the stack.</param>
/// <param name="ReceiveBytes">Their bytes.</param>
/// <param name="ReceiveDropped">Refused by the stack (its backlog full, or not a datagram it takes).</param>
/// <param name="QueriesSent">Neighbour queries sent (one per known peer, at most once a second per address).</param>
/// <param name="QueriesAnswered">Neighbour queries for the local address answered.</param>
/// <param name="NeighboursLearned">Neighbours learned from queries and answers.</param>
/// <param name="QueriesUnmatched">Queries or answers from a host that is none of the peers (no link back), or malformed.</param>
public readonly record struct InterfaceCounters(
    long TransmitDatagrams,
    long TransmitBytes,
    long TransmitUnresolved,
    long TransmitNotIpv4,
    long TransmitLinkDropped,
    long ReceiveDatagrams,
    long ReceiveBytes,
    long ReceiveDropped,
    long QueriesSent,
    long QueriesAnswered,
    long NeighboursLearned,
    long QueriesUnmatched);
