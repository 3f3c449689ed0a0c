namespace NetScsi.Iscsi.Pdus;

/// <summary>
/// NOP-Out (RFC 7143 §11.18):
/// <code>
///   0|.|I| 0x00      |1| Reserved                                    |
///   4|TotalAHSLength | DataSegmentLength                             |
///   8| LUN or Reserved                                               |
///  16| Initiator Task Tag or 0xffffffff                              |
///  20| Target Transfer Tag or 0xffffffff                             |
///  24| CmdSN                                                         |
///  28| ExpStatSN                                                     |
///  32/ Reserved                                                      /
///  48
/// </code>
/// </summary>
public struct NopOutPdu
{
    public bool Immediate;
    public int DataSegmentLength;
    public ulong Lun;
    public uint InitiatorTaskTag;
    public uint TargetTransferTag;
    public uint CmdSN;
    public uint ExpStatSN;

    public static NopOutPdu Parse(ReadOnlySpan<byte> bhs) => new()
    {
        Immediate = Bhs.IsImmediate(bhs),
        DataSegmentLength = Bhs.GetDataSegmentLength(bhs),
        Lun = Bhs.GetLun(bhs),
        InitiatorTaskTag = Bhs.GetInitiatorTaskTag(bhs),
        TargetTransferTag = Bhs.ReadUInt32(bhs, 20),
        CmdSN = Bhs.ReadUInt32(bhs, 24),
        ExpStatSN = Bhs.ReadUInt32(bhs, 28),
    };

    public readonly void WriteTo(Span<byte> bhs)
    {
        Bhs.WriteCommon(bhs, IscsiOpcode.NopOut, Immediate, Bhs.FinalBit, DataSegmentLength, InitiatorTaskTag);
        Bhs.SetLun(bhs, Lun);
        Bhs.WriteUInt32(bhs, 20, TargetTransferTag);
        Bhs.WriteUInt32(bhs, 24, CmdSN);
        Bhs.WriteUInt32(bhs, 28, ExpStatSN);
    }
}
