using System.Buffers.Binary;

namespace NetScsi.Iscsi.Pdus;

/// <summary>RFC 7143 §11.14.1 logout reason codes.</summary>
public enum LogoutReason : byte
{
    CloseSession = 0,
    CloseConnection = 1,
    RemoveConnectionForRecovery = 2,
}

/// <summary>RFC 7143 §11.15.1 logout response codes.</summary>
public enum LogoutResponse : byte
{
    ClosedSuccessfully = 0,
    CidNotFound = 1,
    ConnectionRecoveryNotSupported = 2,
    CleanupFailed = 3,
}

/// <summary>
/// Logout Request (RFC 7143 §11.14):
/// <code>
///   0|.|I| 0x06      |1| Reason Code | Reserved                      |
///   4|TotalAHSLength | DataSegmentLength                             |
///   8/ Reserved                                                      /
///  16| Initiator Task Tag                                            |
///  20| CID or Reserved               | Reserved                      |
///  24| CmdSN                                                         |
///  28| ExpStatSN                                                     |
///  32/ Reserved                                                      /
///  48
/// </code>
/// </summary>
public struct LogoutRequestPdu
{
    public bool Immediate;
    public LogoutReason Reason;
    public uint InitiatorTaskTag;
    public ushort Cid;
    public uint CmdSN;
    public uint ExpStatSN;

    public static LogoutRequestPdu Parse(ReadOnlySpan<byte> bhs) => new()
    {
        Immediate = Bhs.IsImmediate(bhs),
        Reason = (LogoutReason)(bhs[1] & 0x7F),
        InitiatorTaskTag = Bhs.GetInitiatorTaskTag(bhs),
        Cid = BinaryPrimitives.ReadUInt16BigEndian(bhs[20..]),
        CmdSN = Bhs.ReadUInt32(bhs, 24),
        ExpStatSN = Bhs.ReadUInt32(bhs, 28),
    };

    public readonly void WriteTo(Span<byte> bhs)
    {
        Bhs.WriteCommon(bhs, IscsiOpcode.LogoutRequest, Immediate, (byte)(Bhs.FinalBit | ((byte)Reason & 0x7F)), 0, InitiatorTaskTag);
        BinaryPrimitives.WriteUInt16BigEndian(bhs[20..], Cid);
        Bhs.WriteUInt32(bhs, 24, CmdSN);
        Bhs.WriteUInt32(bhs, 28, ExpStatSN);
    }
}
