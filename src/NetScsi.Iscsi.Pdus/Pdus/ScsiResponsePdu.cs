namespace NetScsi.Iscsi.Pdus;

/// <summary>
/// SCSI Response (RFC 7143 §11.4):
/// <code>
///   0|.|.| 0x21      |1|. .|o|u|O|U|.| Response      | Status        |
///   4|TotalAHSLength | DataSegmentLength                             |
///   8| Reserved                                                      |
///  16| Initiator Task Tag                                            |
///  20| SNACK Tag                                                     |
///  24| StatSN                                                        |
///  28| ExpCmdSN                                                      |
///  32| MaxCmdSN                                                      |
///  36| ExpDataSN                                                     |
///  40| Bidirectional Read Residual Count                             |
///  44| Residual Count                                                |
/// </code>
/// The data segment carries SenseLength (2 bytes) + sense data when status is CHECK CONDITION.
/// </summary>
public struct ScsiResponsePdu : IStatusPdu
{
    public const byte BidiOverflowBit = 0x10;
    public const byte BidiUnderflowBit = 0x08;
    public const byte OverflowBit = 0x04;
    public const byte UnderflowBit = 0x02;

    public bool ResidualOverflow;
    public bool ResidualUnderflow;
    public byte Response;
    public byte Status;
    public int DataSegmentLength;
    public uint InitiatorTaskTag;
    public uint SnackTag;
    public uint StatSN;
    public uint ExpCmdSN;
    public uint MaxCmdSN;
    public uint ExpDataSN;
    public uint BidirectionalReadResidualCount;
    public uint ResidualCount;

    public static ScsiResponsePdu Parse(ReadOnlySpan<byte> bhs) => new()
    {
        ResidualOverflow = (bhs[1] & OverflowBit) != 0,
        ResidualUnderflow = (bhs[1] & UnderflowBit) != 0,
        Response = bhs[2],
        Status = bhs[3],
        DataSegmentLength = Bhs.GetDataSegmentLength(bhs),
        InitiatorTaskTag = Bhs.GetInitiatorTaskTag(bhs),
        SnackTag = Bhs.ReadUInt32(bhs, 20),
        StatSN = Bhs.ReadUInt32(bhs, 24),
        ExpCmdSN = Bhs.ReadUInt32(bhs, 28),
        MaxCmdSN = Bhs.ReadUInt32(bhs, 32),
        ExpDataSN = Bhs.ReadUInt32(bhs, 36),
        BidirectionalReadResidualCount = Bhs.ReadUInt32(bhs, 40),
        ResidualCount = Bhs.ReadUInt32(bhs, 44),
    };

    public void SetSequenceNumbers(uint statSN, uint expCmdSN, uint maxCmdSN)
    {
        StatSN = statSN;
        ExpCmdSN = expCmdSN;
        MaxCmdSN = maxCmdSN;
    }

    public readonly void WriteTo(Span<byte> bhs)
    {
        byte flags = (byte)(Bhs.FinalBit | (ResidualOverflow ? OverflowBit : 0) | (ResidualUnderflow ? UnderflowBit : 0));
        Bhs.WriteCommon(bhs, IscsiOpcode.ScsiResponse, false, flags, DataSegmentLength, InitiatorTaskTag);
        bhs[2] = Response;
        bhs[3] = Status;
        Bhs.WriteUInt32(bhs, 20, SnackTag);
        Bhs.WriteUInt32(bhs, 24, StatSN);
        Bhs.WriteUInt32(bhs, 28, ExpCmdSN);
        Bhs.WriteUInt32(bhs, 32, MaxCmdSN);
        Bhs.WriteUInt32(bhs, 36, ExpDataSN);
        Bhs.WriteUInt32(bhs, 40, BidirectionalReadResidualCount);
        Bhs.WriteUInt32(bhs, 44, ResidualCount);
    }
}
