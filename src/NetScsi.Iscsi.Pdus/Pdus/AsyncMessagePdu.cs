using System.Buffers.Binary;

namespace NetScsi.Iscsi.Pdus;

/// <summary>RFC 7143 §11.9.1 AsyncEvent codes.</summary>
public enum AsyncEvent : byte
{
    ScsiAsyncEvent = 0,
    RequestLogout = 1,
    DroppingConnection = 2,
    DroppingAllConnections = 3,
    RequestParameterNegotiation = 4,
    VendorSpecific = 255,
}

/// <summary>
/// Asynchronous Message (RFC 7143 §11.9):
/// <code>
///   0|.|.| 0x32      |1| Reserved                                    |
///   4|TotalAHSLength | DataSegmentLength                             |
///   8| LUN or Reserved                                               |
///  16| 0xffffffff                                                    |
///  20| Reserved                                                      |
///  24| StatSN                                                        |
///  28| ExpCmdSN                                                      |
///  32| MaxCmdSN                                                      |
///  36| AsyncEvent    | AsyncVCode    | Parameter1 or Reserved        |
///  40| Parameter2 or Reserved        | Parameter3 or Reserved        |
///  44| Reserved                                                      |
/// </code>
/// </summary>
public struct AsyncMessagePdu : IStatusPdu
{
    public int DataSegmentLength;
    public ulong Lun;
    public uint StatSN;
    public uint ExpCmdSN;
    public uint MaxCmdSN;
    public AsyncEvent Event;
    public byte VendorCode;
    public ushort Parameter1;
    public ushort Parameter2;
    public ushort Parameter3;

    public static AsyncMessagePdu Parse(ReadOnlySpan<byte> bhs) => new()
    {
        DataSegmentLength = Bhs.GetDataSegmentLength(bhs),
        Lun = Bhs.GetLun(bhs),
        StatSN = Bhs.ReadUInt32(bhs, 24),
        ExpCmdSN = Bhs.ReadUInt32(bhs, 28),
        MaxCmdSN = Bhs.ReadUInt32(bhs, 32),
        Event = (AsyncEvent)bhs[36],
        VendorCode = bhs[37],
        Parameter1 = BinaryPrimitives.ReadUInt16BigEndian(bhs[38..]),
        Parameter2 = BinaryPrimitives.ReadUInt16BigEndian(bhs[40..]),
        Parameter3 = BinaryPrimitives.ReadUInt16BigEndian(bhs[42..]),
    };

    public void SetSequenceNumbers(uint statSN, uint expCmdSN, uint maxCmdSN)
    {
        StatSN = statSN;
        ExpCmdSN = expCmdSN;
        MaxCmdSN = maxCmdSN;
    }

    public readonly void WriteTo(Span<byte> bhs)
    {
        Bhs.WriteCommon(bhs, IscsiOpcode.AsyncMessage, false, Bhs.FinalBit, DataSegmentLength, Bhs.ReservedTag);
        Bhs.SetLun(bhs, Lun);
        Bhs.WriteUInt32(bhs, 24, StatSN);
        Bhs.WriteUInt32(bhs, 28, ExpCmdSN);
        Bhs.WriteUInt32(bhs, 32, MaxCmdSN);
        bhs[36] = (byte)Event;
        bhs[37] = VendorCode;
        BinaryPrimitives.WriteUInt16BigEndian(bhs[38..], Parameter1);
        BinaryPrimitives.WriteUInt16BigEndian(bhs[40..], Parameter2);
        BinaryPrimitives.WriteUInt16BigEndian(bhs[42..], Parameter3);
    }
}
