using System.Buffers.Binary;

namespace NetScsi.Iscsi.Pdus;

/// <summary>
/// Logout Response (RFC 7143 §11.15):
/// <code>
///   0|.|.| 0x26      |1| Reserved    | Response      | Reserved      |
///   4|TotalAHSLength | DataSegmentLength                             |
///   8/ Reserved                                                      /
///  16| Initiator Task Tag                                            |
///  20| Reserved                                                      |
///  24| StatSN                                                        |
///  28| ExpCmdSN                                                      |
///  32| MaxCmdSN                                                      |
///  36| Reserved                                                      |
///  40| Time2Wait                     | Time2Retain                   |
///  44| Reserved                                                      |
/// </code>
/// </summary>
public struct LogoutResponsePdu : IStatusPdu
{
    public LogoutResponse Response;
    public uint InitiatorTaskTag;
    public uint StatSN;
    public uint ExpCmdSN;
    public uint MaxCmdSN;
    public ushort Time2Wait;
    public ushort Time2Retain;

    public static LogoutResponsePdu Parse(ReadOnlySpan<byte> bhs) => new()
    {
        Response = (LogoutResponse)bhs[2],
        InitiatorTaskTag = Bhs.GetInitiatorTaskTag(bhs),
        StatSN = Bhs.ReadUInt32(bhs, 24),
        ExpCmdSN = Bhs.ReadUInt32(bhs, 28),
        MaxCmdSN = Bhs.ReadUInt32(bhs, 32),
        Time2Wait = BinaryPrimitives.ReadUInt16BigEndian(bhs[40..]),
        Time2Retain = BinaryPrimitives.ReadUInt16BigEndian(bhs[42..]),
    };

    public void SetSequenceNumbers(uint statSN, uint expCmdSN, uint maxCmdSN)
    {
        StatSN = statSN;
        ExpCmdSN = expCmdSN;
        MaxCmdSN = maxCmdSN;
    }

    public readonly void WriteTo(Span<byte> bhs)
    {
        Bhs.WriteCommon(bhs, IscsiOpcode.LogoutResponse, false, Bhs.FinalBit, 0, InitiatorTaskTag);
        bhs[2] = (byte)Response;
        Bhs.WriteUInt32(bhs, 24, StatSN);
        Bhs.WriteUInt32(bhs, 28, ExpCmdSN);
        Bhs.WriteUInt32(bhs, 32, MaxCmdSN);
        BinaryPrimitives.WriteUInt16BigEndian(bhs[40..], Time2Wait);
        BinaryPrimitives.WriteUInt16BigEndian(bhs[42..], Time2Retain);
    }
}
