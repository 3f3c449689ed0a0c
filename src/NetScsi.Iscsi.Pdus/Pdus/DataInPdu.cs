namespace NetScsi.Iscsi.Pdus;

/// <summary>
/// SCSI Data-In (RFC 7143 §11.7):
/// <code>
///   0|.|.| 0x25      |F|A|0 0 0|O|U|S| Reserved      |Status or Rsvd |
///   4|TotalAHSLength | DataSegmentLength                             |
///   8| LUN or Reserved                                               |
///  16| Initiator Task Tag                                            |
///  20| Target Transfer Tag or 0xffffffff                             |
///  24| StatSN or Reserved                                            |
///  28| ExpCmdSN                                                      |
///  32| MaxCmdSN                                                      |
///  36| DataSN                                                        |
///  40| Buffer Offset                                                 |
///  44| Residual Count                                                |
/// </code>
/// </summary>
public struct DataInPdu
{
    public const byte AcknowledgeBit = 0x40;
    public const byte OverflowBit = 0x04;
    public const byte UnderflowBit = 0x02;
    public const byte StatusBit = 0x01;

    public bool Final;
    public bool Acknowledge;
    public bool ResidualOverflow;
    public bool ResidualUnderflow;
    public bool HasStatus;
    public byte Status;
    public int DataSegmentLength;
    public ulong Lun;
    public uint InitiatorTaskTag;
    public uint TargetTransferTag;
    public uint StatSN;
    public uint ExpCmdSN;
    public uint MaxCmdSN;
    public uint DataSN;
    public uint BufferOffset;
    public uint ResidualCount;

    public static DataInPdu Parse(ReadOnlySpan<byte> bhs) => new()
    {
        Final = (bhs[1] & Bhs.FinalBit) != 0,
        Acknowledge = (bhs[1] & AcknowledgeBit) != 0,
        ResidualOverflow = (bhs[1] & OverflowBit) != 0,
        ResidualUnderflow = (bhs[1] & UnderflowBit) != 0,
        HasStatus = (bhs[1] & StatusBit) != 0,
        Status = bhs[3],
        DataSegmentLength = Bhs.GetDataSegmentLength(bhs),
        Lun = Bhs.GetLun(bhs),
        InitiatorTaskTag = Bhs.GetInitiatorTaskTag(bhs),
        TargetTransferTag = Bhs.ReadUInt32(bhs, 20),
        StatSN = Bhs.ReadUInt32(bhs, 24),
        ExpCmdSN = Bhs.ReadUInt32(bhs, 28),
        MaxCmdSN = Bhs.ReadUInt32(bhs, 32),
        DataSN = Bhs.ReadUInt32(bhs, 36),
        BufferOffset = Bhs.ReadUInt32(bhs, 40),
        ResidualCount = Bhs.ReadUInt32(bhs, 44),
    };

    public readonly void WriteTo(Span<byte> bhs)
    {
        byte flags = (byte)((Final ? Bhs.FinalBit : 0) | (Acknowledge ? AcknowledgeBit : 0)
            | (ResidualOverflow ? OverflowBit : 0) | (ResidualUnderflow ? UnderflowBit : 0) | (HasStatus ? StatusBit : 0));
        Bhs.WriteCommon(bhs, IscsiOpcode.DataIn, false, flags, DataSegmentLength, InitiatorTaskTag);
        bhs[3] = HasStatus ? Status : (byte)0;
        Bhs.SetLun(bhs, Lun);
        Bhs.WriteUInt32(bhs, 20, TargetTransferTag);
        Bhs.WriteUInt32(bhs, 24, StatSN);
        Bhs.WriteUInt32(bhs, 28, ExpCmdSN);
        Bhs.WriteUInt32(bhs, 32, MaxCmdSN);
        Bhs.WriteUInt32(bhs, 36, DataSN);
        Bhs.WriteUInt32(bhs, 40, BufferOffset);
        Bhs.WriteUInt32(bhs, 44, ResidualCount);
    }
}
