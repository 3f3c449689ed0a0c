using System.Buffers.Binary;

namespace NetScsi.Scsi.Commands;

/// <summary>
/// The fields shared by the SBC-4 block commands (READ, WRITE, VERIFY, WRITE AND VERIFY, WRITE SAME, PRE-FETCH,
/// SYNCHRONIZE CACHE, ORWRITE, WRITE ATOMIC) in their 6/10/12/16-byte forms: <see cref="CdbDecoder.TryDecodeBlock"/>
/// (or <see cref="TryParse"/>) reads them, <see cref="WriteTo"/> writes them, so initiator and target share one
/// layout per command.
/// </summary>
/// <param name="Lba">LOGICAL BLOCK ADDRESS.</param>
/// <param name="TransferLength">TRANSFER LENGTH / VERIFICATION LENGTH / NUMBER OF LOGICAL BLOCKS, in blocks (6-byte: 0 already means 256).</param>
/// <param name="Flags">Byte 1 of the CDB for 10/12/16-byte forms (RDPROTECT/WRPROTECT, DPO, FUA, BYTCHK, UNMAP, ...); 0 for 6-byte forms.</param>
/// <param name="CdbLength">6, 10, 12 or 16.</param>
/// <param name="Opcode">The operation code (0 when built without one; <see cref="WriteTo"/> needs it).</param>
public readonly record struct BlockCdb(ulong Lba, uint TransferLength, byte Flags, int CdbLength, byte Opcode = 0)
{
    /// <summary>The longest form (16 bytes): a buffer of this size holds any block CDB.</summary>
    public const int MaxLength = 16;

    /// <summary>FUA (byte 1 bit 3) of READ/WRITE/WRITE AND VERIFY/COMPARE AND WRITE.</summary>
    public const byte FuaFlag = 0x08;

    /// <summary>DPO (byte 1 bit 4).</summary>
    public const byte DpoFlag = 0x10;

    /// <summary>UNMAP (byte 1 bit 3) of WRITE SAME.</summary>
    public const byte UnmapFlag = 0x08;

    /// <summary>ANCHOR (byte 1 bit 4) of WRITE SAME.</summary>
    public const byte AnchorFlag = 0x10;

    /// <summary>NDOB (byte 1 bit 0) of WRITE SAME(16).</summary>
    public const byte NoDataOutBufferFlag = 0x01;

    /// <summary>IMMED (byte 1 bit 1) of SYNCHRONIZE CACHE and PRE-FETCH.</summary>
    public const byte ImmediateFlag = 0x02;

    /// <summary>BYTCHK 01b (byte 1 bits 2-1) of VERIFY and WRITE AND VERIFY: compare the Data-Out buffer.</summary>
    public const byte ByteCheckFlag = 0x02;

    /// <summary>SBC-4 §5.14: the 6-byte forms address 21 bits of LBA (byte 1 bits 4-0 are the top ones).</summary>
    public const byte Lba6HighMask = 0x1F;

    /// <summary>Largest LBA of the 6-byte forms.</summary>
    public const uint MaxLba6 = 0x1F_FFFF;

    /// <summary>Largest TRANSFER LENGTH of the 6-byte forms (written as 0).</summary>
    public const uint MaxTransferLength6 = 256;

    private const int Lba10Offset = 2;
    private const int TransferLength10Offset = 7;
    private const int TransferLength12Offset = 6;
    private const int TransferLength16Offset = 10;
    private const int AtomicTransferLengthOffset = 12;

    /// <summary>RDPROTECT / WRPROTECT / VRPROTECT (byte 1 bits 7-5).</summary>
    public int Protect => Flags >> 5;

    /// <summary>DPO (byte 1 bit 4).</summary>
    public bool Dpo => (Flags & DpoFlag) != 0;

    /// <summary>FUA (byte 1 bit 3) of READ/WRITE.</summary>
    public bool Fua => (Flags & FuaFlag) != 0;

    /// <summary>BYTCHK (byte 1 bits 2-1) of VERIFY and WRITE AND VERIFY (SBC-4 §5.32, §5.41).</summary>
    public int ByteCheck => (Flags >> 1) & 0x03;

    /// <summary>ANCHOR (byte 1 bit 4) of WRITE SAME.</summary>
    public bool Anchor => (Flags & AnchorFlag) != 0;

    /// <summary>UNMAP (byte 1 bit 3) of WRITE SAME.</summary>
    public bool UnmapBit => (Flags & UnmapFlag) != 0;

    /// <summary>NDOB (byte 1 bit 0) of WRITE SAME(16): no data-out buffer, the data is zeros.</summary>
    public bool NoDataOutBuffer => CdbLength == 16 && (Flags & NoDataOutBufferFlag) != 0;

    /// <summary>IMMED (byte 1 bit 1) of SYNCHRONIZE CACHE and PRE-FETCH.</summary>
    public bool Immediate => (Flags & ImmediateFlag) != 0;

    /// <summary>A block command of <paramref name="opcode"/>, its length taken from the opcode's group.</summary>
    public static BlockCdb Create(byte opcode, ulong lba, uint transferLength, byte flags = 0) =>
        new(lba, transferLength, flags, CdbDecoder.GetCdbLength(opcode), opcode);

    /// <summary>READ(10), or READ(16) when the LBA or the length needs it (SBC-4 §5.16, §5.18); returns the length.</summary>
    public static int BuildRead(Span<byte> cdb, ulong lba, uint blocks, bool fua = false) =>
        Create(Fits10(lba, blocks) ? ScsiOpcode.Read10 : ScsiOpcode.Read16, lba, blocks, fua ? FuaFlag : (byte)0).WriteTo(cdb);

    /// <summary>WRITE(10), or WRITE(16) when the LBA or the length needs it (SBC-4 §5.40, §5.42); returns the length.</summary>
    public static int BuildWrite(Span<byte> cdb, ulong lba, uint blocks, bool fua = false) =>
        Create(Fits10(lba, blocks) ? ScsiOpcode.Write10 : ScsiOpcode.Write16, lba, blocks, fua ? FuaFlag : (byte)0).WriteTo(cdb);

    /// <summary>Reads any block command <see cref="CdbDecoder.TryDecodeBlock"/> knows.</summary>
    public static bool TryParse(ReadOnlySpan<byte> cdb, out BlockCdb result) => CdbDecoder.TryDecodeBlock(cdb, out result);

    /// <summary>
    /// Writes the CDB of <see cref="Opcode"/> in its form; returns its length. Throws when a field does not fit the
    /// form (a 6-byte LBA above 21 bits, a 10-byte length above 16 bits, ...).
    /// </summary>
    public int WriteTo(Span<byte> cdb)
    {
        int length = CdbDecoder.GetCdbLength(Opcode);
        if (length == 0 || (CdbLength != 0 && CdbLength != length))
        {
            throw new InvalidOperationException($"Operation code {Opcode:X2}h is not a {CdbLength}-byte block command.");
        }
        Span<byte> c = cdb[..length];
        c.Clear();
        c[0] = Opcode;
        switch (length)
        {
            case 6:
                ArgumentOutOfRangeException.ThrowIfGreaterThan(Lba, MaxLba6, nameof(Lba));
                ArgumentOutOfRangeException.ThrowIfGreaterThan(TransferLength, MaxTransferLength6, nameof(TransferLength));
                c[1] = (byte)((Lba >> 16) & Lba6HighMask);
                BinaryPrimitives.WriteUInt16BigEndian(c[2..], (ushort)Lba);
                c[4] = (byte)TransferLength; // 256 is written as 0
                break;
            case 10:
                ArgumentOutOfRangeException.ThrowIfGreaterThan(Lba, uint.MaxValue, nameof(Lba));
                ArgumentOutOfRangeException.ThrowIfGreaterThan(TransferLength, ushort.MaxValue, nameof(TransferLength));
                c[1] = Flags;
                BinaryPrimitives.WriteUInt32BigEndian(c[Lba10Offset..], (uint)Lba);
                BinaryPrimitives.WriteUInt16BigEndian(c[TransferLength10Offset..], (ushort)TransferLength);
                break;
            case 12:
                ArgumentOutOfRangeException.ThrowIfGreaterThan(Lba, uint.MaxValue, nameof(Lba));
                c[1] = Flags;
                BinaryPrimitives.WriteUInt32BigEndian(c[Lba10Offset..], (uint)Lba);
                BinaryPrimitives.WriteUInt32BigEndian(c[TransferLength12Offset..], TransferLength);
                break;
            default:
                c[1] = Flags;
                BinaryPrimitives.WriteUInt64BigEndian(c[Lba10Offset..], Lba);
                if (Opcode == ScsiOpcode.WriteAtomic16)
                {
                    // SBC-4 §5.48: 16-bit TRANSFER LENGTH in bytes 12-13 (bytes 10-11: ATOMIC BOUNDARY).
                    ArgumentOutOfRangeException.ThrowIfGreaterThan(TransferLength, ushort.MaxValue, nameof(TransferLength));
                    BinaryPrimitives.WriteUInt16BigEndian(c[AtomicTransferLengthOffset..], (ushort)TransferLength);
                }
                else
                {
                    BinaryPrimitives.WriteUInt32BigEndian(c[TransferLength16Offset..], TransferLength);
                }
                break;
        }
        return length;
    }

    private static bool Fits10(ulong lba, uint blocks) => lba + blocks <= uint.MaxValue && blocks <= ushort.MaxValue;
}
