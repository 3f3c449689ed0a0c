namespace NetScsi.Transport;

/// <summary>Why a target's mover could not place a Data-Out (RFC 7143 §11.7).</summary>
public enum DataOutError
{
    /// <summary>No task of this connection has the PDU's Initiator Task Tag.</summary>
    UnknownTask,

    /// <summary>The task exists but expects no more data (its data phase ended, or it never had one).</summary>
    NotExpected,

    /// <summary>The Target Transfer Tag names none of the task's outstanding R2Ts.</summary>
    InvalidTargetTransferTag,

    /// <summary>The data does not continue where its sequence stands (Buffer Offset or DataSN out of order).</summary>
    DataOffset,

    /// <summary>The data runs past what its sequence (R2T or unsolicited burst) asked for.</summary>
    TooMuchData,
}
