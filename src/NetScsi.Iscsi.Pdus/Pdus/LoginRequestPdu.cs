using System.Buffers.Binary;

namespace NetScsi.Iscsi.Pdus;

/// <summary>
/// Login Request (RFC 7143 §11.12):
/// <code>
///   0|.|1| 0x03      |T|C|.|.|CSG|NSG| Version-max   | Version-min   |
///   4|TotalAHSLength | DataSegmentLength                             |
///   8| ISID                                                          |
///  12|                               | TSIH                          |
///  16| Initiator Task Tag                                            |
///  20| CID                           | Reserved                      |
///  24| CmdSN                                                         |
///  28| ExpStatSN or Reserved                                         |
///  32/ Reserved                                                      /
///  48
/// </code>
/// </summary>
public struct LoginRequestPdu
{
    public const byte TransitBit = 0x80;
    public const byte ContinueBit = 0x40;

    public bool Transit;
    public bool Continue;
    public byte CurrentStage;
    public byte NextStage;
    public byte VersionMax;
    public byte VersionMin;
    public int DataSegmentLength;
    /// <summary>The 6-byte ISID as the low 48 bits.</summary>
    public ulong Isid;
    public ushort Tsih;
    public uint InitiatorTaskTag;
    public ushort Cid;
    public uint CmdSN;
    public uint ExpStatSN;

    public static LoginRequestPdu Parse(ReadOnlySpan<byte> bhs) => new()
    {
        Transit = (bhs[1] & TransitBit) != 0,
        Continue = (bhs[1] & ContinueBit) != 0,
        CurrentStage = (byte)((bhs[1] >> 2) & 0x03),
        NextStage = (byte)(bhs[1] & 0x03),
        VersionMax = bhs[2],
        VersionMin = bhs[3],
        DataSegmentLength = Bhs.GetDataSegmentLength(bhs),
        Isid = BinaryPrimitives.ReadUInt64BigEndian(bhs[8..]) >> 16,
        Tsih = BinaryPrimitives.ReadUInt16BigEndian(bhs[14..]),
        InitiatorTaskTag = Bhs.GetInitiatorTaskTag(bhs),
        Cid = BinaryPrimitives.ReadUInt16BigEndian(bhs[20..]),
        CmdSN = Bhs.ReadUInt32(bhs, 24),
        ExpStatSN = Bhs.ReadUInt32(bhs, 28),
    };

    public readonly void WriteTo(Span<byte> bhs)
    {
        byte flags = (byte)((Transit ? TransitBit : 0) | (Continue ? ContinueBit : 0) | ((CurrentStage & 3) << 2) | (NextStage & 3));
        Bhs.WriteCommon(bhs, IscsiOpcode.LoginRequest, true, flags, DataSegmentLength, InitiatorTaskTag);
        bhs[2] = VersionMax;
        bhs[3] = VersionMin;
        BinaryPrimitives.WriteUInt64BigEndian(bhs[8..], (Isid << 16) | Tsih);
        BinaryPrimitives.WriteUInt16BigEndian(bhs[20..], Cid);
        Bhs.WriteUInt32(bhs, 24, CmdSN);
        Bhs.WriteUInt32(bhs, 28, ExpStatSN);
    }
}
