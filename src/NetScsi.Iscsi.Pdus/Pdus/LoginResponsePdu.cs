using System.Buffers.Binary;

namespace NetScsi.Iscsi.Pdus;

/// <summary>
/// Login Response (RFC 7143 §11.13):
/// <code>
///   0|.|.| 0x23      |T|C|.|.|CSG|NSG| Version-max   | Version-active|
///   4|TotalAHSLength | DataSegmentLength                             |
///   8| ISID                                                          |
///  12|                               | TSIH                          |
///  16| Initiator Task Tag                                            |
///  20| Reserved                                                      |
///  24| StatSN                                                        |
///  28| ExpCmdSN                                                      |
///  32| MaxCmdSN                                                      |
///  36| Status-Class  | Status-Detail | Reserved                      |
///  40/ Reserved                                                      /
///  48
/// </code>
/// </summary>
public struct LoginResponsePdu : IStatusPdu
{
    public bool Transit;
    public bool Continue;
    public byte CurrentStage;
    public byte NextStage;
    public byte VersionMax;
    public byte VersionActive;
    public int DataSegmentLength;
    public ulong Isid;
    public ushort Tsih;
    public uint InitiatorTaskTag;
    public uint StatSN;
    public uint ExpCmdSN;
    public uint MaxCmdSN;
    public byte StatusClass;
    public byte StatusDetail;

    public static LoginResponsePdu Parse(ReadOnlySpan<byte> bhs) => new()
    {
        Transit = (bhs[1] & LoginRequestPdu.TransitBit) != 0,
        Continue = (bhs[1] & LoginRequestPdu.ContinueBit) != 0,
        CurrentStage = (byte)((bhs[1] >> 2) & 0x03),
        NextStage = (byte)(bhs[1] & 0x03),
        VersionMax = bhs[2],
        VersionActive = bhs[3],
        DataSegmentLength = Bhs.GetDataSegmentLength(bhs),
        Isid = BinaryPrimitives.ReadUInt64BigEndian(bhs[8..]) >> 16,
        Tsih = BinaryPrimitives.ReadUInt16BigEndian(bhs[14..]),
        InitiatorTaskTag = Bhs.GetInitiatorTaskTag(bhs),
        StatSN = Bhs.ReadUInt32(bhs, 24),
        ExpCmdSN = Bhs.ReadUInt32(bhs, 28),
        MaxCmdSN = Bhs.ReadUInt32(bhs, 32),
        StatusClass = bhs[36],
        StatusDetail = bhs[37],
    };

    public void SetSequenceNumbers(uint statSN, uint expCmdSN, uint maxCmdSN)
    {
        StatSN = statSN;
        ExpCmdSN = expCmdSN;
        MaxCmdSN = maxCmdSN;
    }

    public readonly void WriteTo(Span<byte> bhs)
    {
        byte flags = (byte)((Transit ? LoginRequestPdu.TransitBit : 0) | (Continue ? LoginRequestPdu.ContinueBit : 0) | ((CurrentStage & 3) << 2) | (NextStage & 3));
        Bhs.WriteCommon(bhs, IscsiOpcode.LoginResponse, false, flags, DataSegmentLength, InitiatorTaskTag);
        bhs[2] = VersionMax;
        bhs[3] = VersionActive;
        BinaryPrimitives.WriteUInt64BigEndian(bhs[8..], (Isid << 16) | Tsih);
        Bhs.WriteUInt32(bhs, 24, StatSN);
        Bhs.WriteUInt32(bhs, 28, ExpCmdSN);
        Bhs.WriteUInt32(bhs, 32, MaxCmdSN);
        bhs[36] = StatusClass;
        bhs[37] = StatusDetail;
    }
}
