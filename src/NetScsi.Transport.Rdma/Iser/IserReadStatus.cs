namespace NetScsi.Transport.Rdma.Iser;

/// <summary>Why an iSER message could not be decoded; the codec returns it instead of throwing.</summary>
public enum IserReadStatus
{
    Ok,

    /// <summary>The receive is shorter than the message's fixed header.</summary>
    TooShort,

    /// <summary>The opcode is not the one the decoder expects (RFC 7145 §9.1: the receiver checks it first).</summary>
    WrongOpcode,
}
