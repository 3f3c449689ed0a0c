namespace NetScsi.IpOverScsi.Link;

/// <summary>What became of the datagrams sent to one neighbour.</summary>
/// <param name="Sent">SEND MESSAGE commands that completed GOOD (the peer's unit took, or dropped and counted, the datagram).</param>
/// <param name="SentBytes">Their datagram bytes.</param>
/// <param name="DroppedDown">Dropped because the link was not up.</param>
/// <param name="DroppedFull">Dropped because <see cref="PeerLinkOptions.MaxInFlight"/> commands were outstanding.</param>
/// <param name="Busy">Answered BUSY or TASK SET FULL (the peer's receive queue was full): dropped.</param>
/// <param name="Rejected">Answered CHECK CONDITION (too long for the peer, a stream it does not take): dropped.</param>
/// <param name="Failed">Lost to a transport failure or session loss.</param>
/// <param name="Connects">Logins that succeeded.</param>
public readonly record struct PeerCounters(long Sent, long SentBytes, long DroppedDown, long DroppedFull, long Busy, long Rejected, long Failed, long Connects);
