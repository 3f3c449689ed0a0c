using NetScsi.Iscsi.Pdus;

namespace NetScsi.Transport;

/// <summary>
/// What a data mover lets the login negotiate (RFC 5047's key declarations; RFC 7145 §6 for iSER): both login
/// state machines consult it, so a mover can cap what its frames carry, forbid digests, or offer RDMA.
/// </summary>
public sealed record DataMoverCapabilities
{
    /// <summary>A mover over a reliable byte stream: anything the iSCSI PDU format allows.</summary>
    public static DataMoverCapabilities Stream { get; } = new();

    /// <summary>The largest data segment the mover carries either way: both MaxRecvDataSegmentLength declarations are capped to it.</summary>
    public int MaxDataSegmentLength { get; init; } = Bhs.MaxDataSegmentLength;

    /// <summary>Whether CRC32C header and data digests may be negotiated (iSER carries none: RFC 7145 requires HeaderDigest=None and DataDigest=None).</summary>
    public bool Digests { get; init; } = true;

    /// <summary>Whether the mover places data by RDMA: RDMAExtensions=Yes is offered and accepted (RFC 7145 §6.3).</summary>
    public bool RdmaExtensions { get; init; }

    /// <summary>
    /// RFC 7145 §6.7: the unsolicited control PDUs (beyond the command window) this mover's posted receives can take;
    /// 0 declares no limit. Only an RDMA mover has one.
    /// </summary>
    public long MaxOutstandingUnexpectedPdus { get; init; }
}
