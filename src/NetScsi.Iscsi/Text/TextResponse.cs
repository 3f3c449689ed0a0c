namespace NetScsi.Iscsi.Text;

/// <summary>What the target answers to one Text Request (RFC 7143 §11.11).</summary>
public sealed class TextResponse
{
    /// <summary>F bit: the target's last response of this exchange.</summary>
    public bool Final { get; init; }

    /// <summary>C bit: the response text continues in the next response.</summary>
    public bool Continue { get; init; }

    /// <summary>0xFFFFFFFF when final; otherwise the tag the initiator echoes to continue.</summary>
    public uint TargetTransferTag { get; init; } = FullFeatureTextNegotiator.ReservedTag;

    public byte[] Data { get; init; } = [];

    /// <summary>
    /// The request broke the protocol (bad text, unknown tag, oversize): the engine answers with a
    /// Reject PDU (reason 0x04 protocol error, RFC 7143 §11.17.1) instead of a Text Response.
    /// </summary>
    public bool IsProtocolError { get; init; }

    /// <summary>
    /// The request's Target Transfer Tag names no continuation of ours: the engine answers with a Reject PDU
    /// (reason 0x09 invalid PDU field, RFC 7143 §11.17.1). A pending exchange is left as it was.
    /// </summary>
    public bool IsUnknownTag { get; init; }
}
