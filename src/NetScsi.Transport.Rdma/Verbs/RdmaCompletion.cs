namespace NetScsi.Transport.Rdma.Verbs;

/// <summary>What a completed work request was (<c>enum ibv_wc_opcode</c>, the ones iSER uses).</summary>
public enum RdmaCompletionOpcode
{
    Send = 0,
    RdmaWrite = 1,
    RdmaRead = 2,
    Receive = 128,
}

/// <summary>How a work request ended (<c>enum ibv_wc_status</c> values, the ones the mover tells apart).</summary>
public enum RdmaCompletionStatus
{
    Success = 0,

    /// <summary>IBV_WC_LOC_LEN_ERR: a SEND longer than the receive posted for it.</summary>
    LocalLengthError = 1,

    /// <summary>IBV_WC_LOC_PROT_ERR: a local key or address outside its registration.</summary>
    LocalProtectionError = 4,

    /// <summary>IBV_WC_WR_FLUSH_ERR: the queue pair went to the error state (disconnect, earlier error) first.</summary>
    Flushed = 5,

    /// <summary>IBV_WC_REM_ACCESS_ERR: the peer's STag or address range was not valid for the RDMA READ or WRITE.</summary>
    RemoteAccessError = 10,

    /// <summary>IBV_WC_RNR_RETRY_EXC_ERR: the peer had no receive posted (flow control broken).</summary>
    ReceiverNotReady = 13,
}

/// <summary>One work completion (<c>struct ibv_wc</c>, the fields the mover reads).</summary>
/// <param name="WorkRequestId">The id the work request was posted with.</param>
/// <param name="Opcode">What it was.</param>
/// <param name="Status">How it ended.</param>
/// <param name="ByteLength">For a receive, the bytes the SEND carried.</param>
public readonly record struct RdmaCompletion(ulong WorkRequestId, RdmaCompletionOpcode Opcode, RdmaCompletionStatus Status, int ByteLength);
