using System.Net;
using NetScsi.Iscsi.Initiator;

namespace NetScsi.IpOverScsi.Link;

/// <summary>A neighbour on the SCSI network: its IPv4 address and where its communications logical unit is.</summary>
public sealed class PeerOptions
{
    /// <summary>
    /// The neighbour's IPv4 address on this SCSI network (the neighbour table's key, RFC 2143 §4); null: found by a
    /// neighbour query (<see cref="Routing.NeighbourQuery"/>) when a datagram first needs it.
    /// </summary>
    public IPAddress? Address { get; init; }

    /// <summary>
    /// How to log in to the neighbour's target (portal, transport, initiator name, CHAP). A null
    /// <see cref="IscsiSessionOptions.TargetName"/> means: ask the portal by SendTargets and take the first target.
    /// The link owns this object (it fills in the target name it discovers).
    /// </summary>
    public required IscsiSessionOptions Session { get; init; }

    /// <summary>The LUN of the neighbour's communications device.</summary>
    public ulong Lun { get; init; }

    /// <summary>What the link is called in logs and counters (the peer's URL, say).</summary>
    public string? DisplayName { get; init; }
}
