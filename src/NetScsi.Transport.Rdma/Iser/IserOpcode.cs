namespace NetScsi.Transport.Rdma.Iser;

/// <summary>
/// The iSER opcode: the high four bits of the first byte of every iSER message (RFC 7145 §9.1-§9.4). The low four
/// bits are flags (<see cref="IserHeader"/>) or reserved.
/// </summary>
public enum IserOpcode : byte
{
    /// <summary>An iSCSI control-type PDU follows the 28-byte iSER header (§9.2): every PDU iSER carries in a SEND.</summary>
    Control = 0x1,

    /// <summary>iSER Hello Message (§9.3): the initiator's versions and iSER-IRD, first message in iWARP mode.</summary>
    Hello = 0x2,

    /// <summary>iSER HelloReply Message (§9.4): the target's chosen version and iSER-ORD, or a rejection.</summary>
    HelloReply = 0x3,
}
