namespace NetScsi.Iscsi.Pdus;

/// <summary>
/// Ready To Transfer (R2T) (RFC 7143 §11.8):
/// <code>
///   0|.|.| 0x31      |1| Reserved                                    |
///   4|TotalAHSLength | DataSegmentLength (0)                         |
///   8| LUN                                                           |
///  16| Initiator Task Tag                                            |
///  20| Target Transfer Tag                                           |
///  24| StatSN                                                        |
///  28| ExpCmdSN                                                      |
///  32| MaxCmdSN                                                      |
///  36| R2TSN                                                         |
///  40| Buffer Offset                                                 |
///  44| Desired Data Transfer Length                                  |
/// </code>
/// </summary>
public struct ReadyToTransferPdu
{
    public ulong Lun;
    public uint InitiatorTaskTag;
    public uint TargetTransferTag;
    public uint StatSN;
    public uint ExpCmdSN;
    public uint MaxCmdSN;
    public uint R2TSN;
    public uint BufferOffset;
    public uint DesiredDataTransferLength;

    public static ReadyToTransferPdu Parse(ReadOnlySpan<byte> bhs) => new()
    {
        Lun = Bhs.GetLun(bhs),
        InitiatorTaskTag = Bhs.GetInitiatorTaskTag(bhs),
        TargetTransferTag = Bhs.ReadUInt32(bhs, 20),
        StatSN = Bhs.ReadUInt32(bhs, 24),
        ExpCmdSN = Bhs.ReadUInt32(bhs, 28),
        MaxCmdSN = Bhs.ReadUInt32(bhs, 32),
        R2TSN = Bhs.ReadUInt32(bhs, 36),
        BufferOffset = Bhs.ReadUInt32(bhs, 40),
        DesiredDataTransferLength = Bhs.ReadUInt32(bhs, 44),
    };

    public readonly void WriteTo(Span<byte> bhs)
    {
        Bhs.WriteCommon(bhs, IscsiOpcode.ReadyToTransfer, false, Bhs.FinalBit, 0, InitiatorTaskTag);
        Bhs.SetLun(bhs, Lun);
        Bhs.WriteUInt32(bhs, 20, TargetTransferTag);
        Bhs.WriteUInt32(bhs, 24, StatSN);
        Bhs.WriteUInt32(bhs, 28, ExpCmdSN);
        Bhs.WriteUInt32(bhs, 32, MaxCmdSN);
        Bhs.WriteUInt32(bhs, 36, R2TSN);
        Bhs.WriteUInt32(bhs, 40, BufferOffset);
        Bhs.WriteUInt32(bhs, 44, DesiredDataTransferLength);
    }
}
