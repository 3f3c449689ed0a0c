namespace NetScsi.Iscsi.Pdus;

/// <summary>
/// Text Request (RFC 7143 §11.10):
/// <code>
///   0|.|I| 0x04      |F|C| Reserved                                  |
///   4|TotalAHSLength | DataSegmentLength                             |
///   8| LUN or Reserved                                               |
///  16| Initiator Task Tag                                            |
///  20| Target Transfer Tag or 0xffffffff                             |
///  24| CmdSN                                                         |
///  28| ExpStatSN                                                     |
///  32/ Reserved                                                      /
///  48
/// </code>
/// </summary>
public struct TextRequestPdu
{
    public const byte ContinueBit = 0x40;

    public bool Immediate;
    public bool Final;
    public bool Continue;
    public int DataSegmentLength;
    public ulong Lun;
    public uint InitiatorTaskTag;
    public uint TargetTransferTag;
    public uint CmdSN;
    public uint ExpStatSN;

    public static TextRequestPdu Parse(ReadOnlySpan<byte> bhs) => new()
    {
        Immediate = Bhs.IsImmediate(bhs),
        Final = Bhs.IsFinal(bhs),
        Continue = (bhs[1] & ContinueBit) != 0,
        DataSegmentLength = Bhs.GetDataSegmentLength(bhs),
        Lun = Bhs.GetLun(bhs),
        InitiatorTaskTag = Bhs.GetInitiatorTaskTag(bhs),
        TargetTransferTag = Bhs.ReadUInt32(bhs, 20),
        CmdSN = Bhs.ReadUInt32(bhs, 24),
        ExpStatSN = Bhs.ReadUInt32(bhs, 28),
    };

    public readonly void WriteTo(Span<byte> bhs)
    {
        byte flags = (byte)((Final ? Bhs.FinalBit : 0) | (Continue ? ContinueBit : 0));
        Bhs.WriteCommon(bhs, IscsiOpcode.TextRequest, Immediate, flags, DataSegmentLength, InitiatorTaskTag);
        Bhs.SetLun(bhs, Lun);
        Bhs.WriteUInt32(bhs, 20, TargetTransferTag);
        Bhs.WriteUInt32(bhs, 24, CmdSN);
        Bhs.WriteUInt32(bhs, 28, ExpStatSN);
    }
}
