namespace NetScsi.Iscsi.Pdus;

/// <summary>
/// Task Management Function Response (RFC 7143 §11.6):
/// <code>
///   0|.|.| 0x22      |1| Reserved    | Response      | Reserved      |
///   4|TotalAHSLength | DataSegmentLength                             |
///   8/ Reserved                                                      /
///  16| Initiator Task Tag                                            |
///  20| Reserved                                                      |
///  24| StatSN                                                        |
///  28| ExpCmdSN                                                      |
///  32| MaxCmdSN                                                      |
///  36/ Reserved                                                      /
///  48
/// </code>
/// </summary>
public struct TaskManagementResponsePdu : IStatusPdu
{
    public TaskManagementResponse Response;
    public uint InitiatorTaskTag;
    public uint StatSN;
    public uint ExpCmdSN;
    public uint MaxCmdSN;

    public static TaskManagementResponsePdu Parse(ReadOnlySpan<byte> bhs) => new()
    {
        Response = (TaskManagementResponse)bhs[2],
        InitiatorTaskTag = Bhs.GetInitiatorTaskTag(bhs),
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
        Bhs.WriteCommon(bhs, IscsiOpcode.TaskManagementResponse, false, Bhs.FinalBit, 0, InitiatorTaskTag);
        bhs[2] = (byte)Response;
        Bhs.WriteUInt32(bhs, 24, StatSN);
        Bhs.WriteUInt32(bhs, 28, ExpCmdSN);
        Bhs.WriteUInt32(bhs, 32, MaxCmdSN);
    }
}
