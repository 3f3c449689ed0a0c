namespace NetScsi.Iscsi.Pdus;

/// <summary>
/// NOP-In (RFC 7143 §11.19):
/// <code>
///   0|.|.| 0x20      |1| Reserved                                    |
///   4|TotalAHSLength | DataSegmentLength                             |
///   8| LUN or Reserved                                               |
///  16| Initiator Task Tag or 0xffffffff                              |
///  20| Target Transfer Tag or 0xffffffff                             |
///  24| StatSN                                                        |
///  28| ExpCmdSN                                                      |
///  32| MaxCmdSN                                                      |
///  36/ Reserved                                                      /
///  48
/// </code>
/// </summary>
public struct NopInPdu : IStatusPdu
{
    public int DataSegmentLength;
    public ulong Lun;
    public uint InitiatorTaskTag;
    public uint TargetTransferTag;
    public uint StatSN;
    public uint ExpCmdSN;
    public uint MaxCmdSN;

    public static NopInPdu Parse(ReadOnlySpan<byte> bhs) => new()
    {
        DataSegmentLength = Bhs.GetDataSegmentLength(bhs),
        Lun = Bhs.GetLun(bhs),
        InitiatorTaskTag = Bhs.GetInitiatorTaskTag(bhs),
        TargetTransferTag = Bhs.ReadUInt32(bhs, 20),
        StatSN = Bhs.ReadUInt32(bhs, 24),
        ExpCmdSN = Bhs.ReadUInt32(bhs, 28),
        MaxCmdSN = Bhs.ReadUInt32(bhs, 32),
    };

    public void SetSequenceNumbers(uint statSN, uint expCmdSN, uint maxCmdSN)
    {
        StatSN = statSN;
        ExpCmdSN = expCmdSN;
        MaxCmdSN = maxCmdSN;
    }

    public readonly void WriteTo(Span<byte> bhs)
    {
        Bhs.WriteCommon(bhs, IscsiOpcode.NopIn, false, Bhs.FinalBit, DataSegmentLength, InitiatorTaskTag);
        Bhs.SetLun(bhs, Lun);
        Bhs.WriteUInt32(bhs, 20, TargetTransferTag);
        Bhs.WriteUInt32(bhs, 24, StatSN);
        Bhs.WriteUInt32(bhs, 28, ExpCmdSN);
        Bhs.WriteUInt32(bhs, 32, MaxCmdSN);
    }
}
