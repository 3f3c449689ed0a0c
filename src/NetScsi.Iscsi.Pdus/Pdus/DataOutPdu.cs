namespace NetScsi.Iscsi.Pdus;

/// <summary>
/// SCSI Data-Out (RFC 7143 §11.7):
/// <code>
///   0|.|.| 0x05      |F| Reserved                                    |
///   4|TotalAHSLength | DataSegmentLength                             |
///   8| LUN or Reserved                                               |
///  16| Initiator Task Tag                                            |
///  20| Target Transfer Tag or 0xffffffff                             |
///  24| Reserved                                                      |
///  28| ExpStatSN                                                     |
///  32| Reserved                                                      |
///  36| DataSN                                                        |
///  40| Buffer Offset                                                 |
///  44| Reserved                                                      |
/// </code>
/// </summary>
public struct DataOutPdu
{
    public bool Final;
    public int DataSegmentLength;
    public ulong Lun;
    public uint InitiatorTaskTag;
    public uint TargetTransferTag;
    public uint ExpStatSN;
    public uint DataSN;
    public uint BufferOffset;

    public static DataOutPdu Parse(ReadOnlySpan<byte> bhs) => new()
    {
        Final = Bhs.IsFinal(bhs),
        DataSegmentLength = Bhs.GetDataSegmentLength(bhs),
        Lun = Bhs.GetLun(bhs),
        InitiatorTaskTag = Bhs.GetInitiatorTaskTag(bhs),
        TargetTransferTag = Bhs.ReadUInt32(bhs, 20),
        ExpStatSN = Bhs.ReadUInt32(bhs, 28),
        DataSN = Bhs.ReadUInt32(bhs, 36),
        BufferOffset = Bhs.ReadUInt32(bhs, 40),
    };

    public readonly void WriteTo(Span<byte> bhs)
    {
        Bhs.WriteCommon(bhs, IscsiOpcode.DataOut, false, Final ? Bhs.FinalBit : (byte)0, DataSegmentLength, InitiatorTaskTag);
        Bhs.SetLun(bhs, Lun);
        Bhs.WriteUInt32(bhs, 20, TargetTransferTag);
        Bhs.WriteUInt32(bhs, 28, ExpStatSN);
        Bhs.WriteUInt32(bhs, 36, DataSN);
        Bhs.WriteUInt32(bhs, 40, BufferOffset);
    }
}
