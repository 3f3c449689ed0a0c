namespace NetScsi.Transport;

/// <summary>
/// RFC 5047 Enable_Datamover: what the login negotiated that a data mover works with in full feature phase
/// (RFC 7143 §13). Until it is enabled, a mover frames PDUs as login requires: no digests, data segments of at most
/// 8192 bytes each way (§13.12).
/// </summary>
public readonly record struct DataMoverParameters
{
    /// <summary>RFC 7143 §13.12: the declaration that holds until the login negotiated another.</summary>
    public const int LoginMaxRecvDataSegmentLength = 8192;

    public DataMoverParameters()
    {
    }

    /// <summary>CRC32C header digests (§13.1).</summary>
    public bool HeaderDigest { get; init; }

    /// <summary>CRC32C data digests (§13.1).</summary>
    public bool DataDigest { get; init; }

    /// <summary>Our MaxRecvDataSegmentLength declaration: the largest data segment we accept (§13.12).</summary>
    public int MaxRecvDataSegmentLength { get; init; } = LoginMaxRecvDataSegmentLength;

    /// <summary>The peer's declaration: the largest data segment we may send it.</summary>
    public int PeerMaxRecvDataSegmentLength { get; init; } = LoginMaxRecvDataSegmentLength;

    /// <summary>Most data in one Data-In or solicited Data-Out sequence (§13.13).</summary>
    public int MaxBurstLength { get; init; } = 262144;

    /// <summary>Most unsolicited data, immediate data included (§13.14).</summary>
    public int FirstBurstLength { get; init; } = 65536;

    /// <summary>Whether the initiator waits for an R2T before any Data-Out (§13.10).</summary>
    public bool InitialR2T { get; init; } = true;

    /// <summary>Whether commands may carry immediate data (§13.11).</summary>
    public bool ImmediateData { get; init; } = true;

    /// <summary>R2Ts a task may have outstanding (§13.17).</summary>
    public int MaxOutstandingR2T { get; init; } = 1;

    /// <summary>Data PDUs of a sequence in offset order (§13.18).</summary>
    public bool DataPduInOrder { get; init; } = true;

    /// <summary>Data sequences in offset order (§13.19).</summary>
    public bool DataSequenceInOrder { get; init; } = true;

    /// <summary>§13.20 ErrorRecoveryLevel.</summary>
    public int ErrorRecoveryLevel { get; init; }
}
