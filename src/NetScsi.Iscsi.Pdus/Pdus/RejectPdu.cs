namespace NetScsi.Iscsi.Pdus;

/// <summary>RFC 7143 §11.17.1 reject reasons.</summary>
public enum RejectReason : byte
{
    DataDigestError = 0x02,
    SnackReject = 0x03,
    ProtocolError = 0x04,
    CommandNotSupported = 0x05,
    ImmediateCommandReject = 0x06,
    TaskInProgress = 0x07,
    InvalidDataAck = 0x08,
    InvalidPduField = 0x09,
    LongOperationReject = 0x0A,
    WaitingForLogout = 0x0C,
}

/// <summary>
/// Reject (RFC 7143 §11.17). The data segment carries the rejected PDU's header.
/// <code>
///   0|.|.| 0x3f      |1| Reserved    | Reason        | Reserved      |
///   4|TotalAHSLength | DataSegmentLength                             |
///   8/ Reserved                                                      /
///  16| 0xffffffff                                                    |
///  20| Reserved                                                      |
///  24| StatSN                                                        |
///  28| ExpCmdSN                                                      |
///  32| MaxCmdSN                                                      |
///  36| DataSN/R2TSN or Reserved                                      |
///  40/ Reserved                                                      /
///  48
/// </code>
/// </summary>
public struct RejectPdu : IStatusPdu
{
    public RejectReason Reason;
    public int DataSegmentLength;
    public uint StatSN;
    public uint ExpCmdSN;
    public uint MaxCmdSN;
    public uint DataSN;

    public static RejectPdu Parse(ReadOnlySpan<byte> bhs) => new()
    {
        Reason = (RejectReason)bhs[2],
        DataSegmentLength = Bhs.GetDataSegmentLength(bhs),
        StatSN = Bhs.ReadUInt32(bhs, 24),
        ExpCmdSN = Bhs.ReadUInt32(bhs, 28),
        MaxCmdSN = Bhs.ReadUInt32(bhs, 32),
        DataSN = Bhs.ReadUInt32(bhs, 36),
    };

    public void SetSequenceNumbers(uint statSN, uint expCmdSN, uint maxCmdSN)
    {
        StatSN = statSN;
        ExpCmdSN = expCmdSN;
        MaxCmdSN = maxCmdSN;
    }

    public readonly void WriteTo(Span<byte> bhs)
    {
        Bhs.WriteCommon(bhs, IscsiOpcode.Reject, false, Bhs.FinalBit, DataSegmentLength, Bhs.ReservedTag);
        bhs[2] = (byte)Reason;
        Bhs.WriteUInt32(bhs, 24, StatSN);
        Bhs.WriteUInt32(bhs, 28, ExpCmdSN);
        Bhs.WriteUInt32(bhs, 32, MaxCmdSN);
        Bhs.WriteUInt32(bhs, 36, DataSN);
    }
}
