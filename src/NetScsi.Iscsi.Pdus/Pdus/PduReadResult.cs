namespace NetScsi.Iscsi.Pdus;

public enum PduReadResult
{
    /// <summary>More bytes are needed; nothing consumed.</summary>
    Incomplete,
    /// <summary>A whole PDU was read.</summary>
    Complete,
    /// <summary>The header digest did not match: framing can no longer be trusted. Reported without waiting for the data segment; only <see cref="PduFrame.Header"/> is filled in.</summary>
    HeaderDigestError,
    /// <summary>The data digest did not match; the frame is still located (it can be skipped).</summary>
    DataDigestError,
    /// <summary>DataSegmentLength exceeds what we declared we receive; detected before buffering the data.</summary>
    DataSegmentTooLong,
}
