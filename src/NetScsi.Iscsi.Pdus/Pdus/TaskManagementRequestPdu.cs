namespace NetScsi.Iscsi.Pdus;

/// <summary>
/// Task Management Function Request (RFC 7143 §11.5):
/// <code>
///   0|.|I| 0x02      |1| Function    | Reserved                      |
///   4|TotalAHSLength | DataSegmentLength                             |
///   8| Logical Unit Number (LUN) or Reserved                         |
///  16| Initiator Task Tag                                            |
///  20| Referenced Task Tag or 0xffffffff                             |
///  24| CmdSN                                                         |
///  28| ExpStatSN                                                     |
///  32| RefCmdSN or Reserved                                          |
///  36| ExpDataSN or Reserved                                         |
///  40/ Reserved                                                      /
///  48
/// </code>
/// </summary>
public struct TaskManagementRequestPdu
{
    public bool Immediate;
    public TaskManagementFunction Function;
    public ulong Lun;
    public uint InitiatorTaskTag;
    public uint ReferencedTaskTag;
    public uint CmdSN;
    public uint ExpStatSN;
    public uint RefCmdSN;
    public uint ExpDataSN;

    public static TaskManagementRequestPdu Parse(ReadOnlySpan<byte> bhs) => new()
    {
        Immediate = Bhs.IsImmediate(bhs),
        Function = (TaskManagementFunction)(bhs[1] & 0x7F),
        Lun = Bhs.GetLun(bhs),
        InitiatorTaskTag = Bhs.GetInitiatorTaskTag(bhs),
        ReferencedTaskTag = Bhs.ReadUInt32(bhs, 20),
        CmdSN = Bhs.ReadUInt32(bhs, 24),
        ExpStatSN = Bhs.ReadUInt32(bhs, 28),
        RefCmdSN = Bhs.ReadUInt32(bhs, 32),
        ExpDataSN = Bhs.ReadUInt32(bhs, 36),
    };

    public readonly void WriteTo(Span<byte> bhs)
    {
        Bhs.WriteCommon(bhs, IscsiOpcode.TaskManagementRequest, Immediate, (byte)(Bhs.FinalBit | ((byte)Function & 0x7F)), 0, InitiatorTaskTag);
        Bhs.SetLun(bhs, Lun);
        Bhs.WriteUInt32(bhs, 20, ReferencedTaskTag);
        Bhs.WriteUInt32(bhs, 24, CmdSN);
        Bhs.WriteUInt32(bhs, 28, ExpStatSN);
        Bhs.WriteUInt32(bhs, 32, RefCmdSN);
        Bhs.WriteUInt32(bhs, 36, ExpDataSN);
    }
}
