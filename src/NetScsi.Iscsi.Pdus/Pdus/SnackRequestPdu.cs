namespace NetScsi.Iscsi.Pdus;

/// <summary>
/// SNACK Request (RFC 7143 §11.16). Only meaningful at ErrorRecoveryLevel &gt; 0; an ERL 0 target rejects it.
/// <code>
///   0|.|.| 0x10      |1|.|.|.| Type  | Reserved                      |
///   4|TotalAHSLength | DataSegmentLength                             |
///   8| LUN or Reserved                                               |
///  16| Initiator Task Tag or 0xffffffff                              |
///  20| Target Transfer Tag or SNACK Tag or 0xffffffff                |
///  24| Reserved                                                      |
///  28| ExpStatSN                                                     |
///  32/ Reserved                                                      /
///  40| BegRun                                                        |
///  44| RunLength                                                     |
/// </code>
/// </summary>
public struct SnackRequestPdu
{
    public byte Type;
    public ulong Lun;
    public uint InitiatorTaskTag;
    public uint TargetTransferTag;
    public uint ExpStatSN;
    public uint BegRun;
    public uint RunLength;

    public static SnackRequestPdu Parse(ReadOnlySpan<byte> bhs) => new()
    {
        Type = (byte)(bhs[1] & 0x0F),
        Lun = Bhs.GetLun(bhs),
        InitiatorTaskTag = Bhs.GetInitiatorTaskTag(bhs),
        TargetTransferTag = Bhs.ReadUInt32(bhs, 20),
        ExpStatSN = Bhs.ReadUInt32(bhs, 28),
        BegRun = Bhs.ReadUInt32(bhs, 40),
        RunLength = Bhs.ReadUInt32(bhs, 44),
    };

    public readonly void WriteTo(Span<byte> bhs)
    {
        Bhs.WriteCommon(bhs, IscsiOpcode.SnackRequest, false, (byte)(Bhs.FinalBit | (Type & 0x0F)), 0, InitiatorTaskTag);
        Bhs.SetLun(bhs, Lun);
        Bhs.WriteUInt32(bhs, 20, TargetTransferTag);
        Bhs.WriteUInt32(bhs, 28, ExpStatSN);
        Bhs.WriteUInt32(bhs, 40, BegRun);
        Bhs.WriteUInt32(bhs, 44, RunLength);
    }
}
