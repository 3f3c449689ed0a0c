using System.Runtime.CompilerServices;

namespace NetScsi.Iscsi.Pdus;

/// <summary>
/// SCSI Command (RFC 7143 §11.3):
/// <code>
///   0|.|I| 0x01      |F|R|W|. .|ATTR | Reserved                      |
///   4|TotalAHSLength | DataSegmentLength                             |
///   8| Logical Unit Number (LUN)                                     |
///  16| Initiator Task Tag                                            |
///  20| Expected Data Transfer Length                                 |
///  24| CmdSN                                                         |
///  28| ExpStatSN                                                     |
///  32/ SCSI Command Descriptor Block (CDB)                           /
///  48
/// </code>
/// </summary>
public struct ScsiCommandPdu
{
    public const byte ReadBit = 0x40;
    public const byte WriteBit = 0x20;

    public bool Immediate;
    public bool Final;
    public bool Read;
    public bool Write;
    public byte Attributes;
    public ulong Lun;
    public uint InitiatorTaskTag;
    public uint ExpectedDataTransferLength;
    public uint CmdSN;
    public uint ExpStatSN;
    public Cdb16 Cdb;
    public int DataSegmentLength;
    public int TotalAhsLength;

    public static ScsiCommandPdu Parse(ReadOnlySpan<byte> bhs)
    {
        var pdu = new ScsiCommandPdu
        {
            Immediate = Bhs.IsImmediate(bhs),
            Final = (bhs[1] & Bhs.FinalBit) != 0,
            Read = (bhs[1] & ReadBit) != 0,
            Write = (bhs[1] & WriteBit) != 0,
            Attributes = (byte)(bhs[1] & 0x07),
            TotalAhsLength = Bhs.GetTotalAhsLength(bhs),
            DataSegmentLength = Bhs.GetDataSegmentLength(bhs),
            Lun = Bhs.GetLun(bhs),
            InitiatorTaskTag = Bhs.GetInitiatorTaskTag(bhs),
            ExpectedDataTransferLength = Bhs.ReadUInt32(bhs, 20),
            CmdSN = Bhs.ReadUInt32(bhs, 24),
            ExpStatSN = Bhs.ReadUInt32(bhs, 28),
        };
        bhs.Slice(32, 16).CopyTo(pdu.Cdb);
        return pdu;
    }

    public readonly void WriteTo(Span<byte> bhs)
    {
        byte flags = (byte)((Final ? Bhs.FinalBit : 0) | (Read ? ReadBit : 0) | (Write ? WriteBit : 0) | (Attributes & 0x07));
        Bhs.WriteCommon(bhs, IscsiOpcode.ScsiCommand, Immediate, flags, DataSegmentLength, InitiatorTaskTag);
        bhs[4] = (byte)(TotalAhsLength / 4);
        Bhs.SetLun(bhs, Lun);
        Bhs.WriteUInt32(bhs, 20, ExpectedDataTransferLength);
        Bhs.WriteUInt32(bhs, 24, CmdSN);
        Bhs.WriteUInt32(bhs, 28, ExpStatSN);
        ((ReadOnlySpan<byte>)Cdb).CopyTo(bhs.Slice(32, 16));
    }
}

/// <summary>The 16 CDB bytes carried in the BHS.</summary>
[InlineArray(16)]
public struct Cdb16
{
    private byte _element0;
}
