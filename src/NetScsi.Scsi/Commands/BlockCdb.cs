namespace NetScsi.Scsi.Commands;

/// <summary>
/// The fields shared by the SBC-4 block commands (READ, WRITE, VERIFY, WRITE AND VERIFY, WRITE SAME,
/// PRE-FETCH, SYNCHRONIZE CACHE) in their 6/10/12/16-byte forms, decoded by <see cref="CdbDecoder"/>.
/// </summary>
/// <param name="Lba">LOGICAL BLOCK ADDRESS.</param>
/// <param name="TransferLength">TRANSFER LENGTH / VERIFICATION LENGTH / NUMBER OF LOGICAL BLOCKS, in blocks (6-byte: 0 already means 256).</param>
/// <param name="Flags">Byte 1 of the CDB for 10/12/16-byte forms (RDPROTECT/WRPROTECT, DPO, FUA, BYTCHK, UNMAP, ...); 0 for 6-byte forms.</param>
/// <param name="CdbLength">6, 10, 12 or 16.</param>
public readonly record struct BlockCdb(ulong Lba, uint TransferLength, byte Flags, int CdbLength)
{
    /// <summary>RDPROTECT / WRPROTECT / VRPROTECT (byte 1 bits 7-5).</summary>
    public int Protect => Flags >> 5;

    /// <summary>DPO (byte 1 bit 4).</summary>
    public bool Dpo => (Flags & 0x10) != 0;

    /// <summary>FUA (byte 1 bit 3) of READ/WRITE.</summary>
    public bool Fua => (Flags & 0x08) != 0;

    /// <summary>BYTCHK (byte 1 bits 2-1) of VERIFY and WRITE AND VERIFY (SBC-4 §5.32, §5.41).</summary>
    public int ByteCheck => (Flags >> 1) & 0x03;

    /// <summary>ANCHOR (byte 1 bit 4) of WRITE SAME.</summary>
    public bool Anchor => (Flags & 0x10) != 0;

    /// <summary>UNMAP (byte 1 bit 3) of WRITE SAME.</summary>
    public bool UnmapBit => (Flags & 0x08) != 0;

    /// <summary>NDOB (byte 1 bit 0) of WRITE SAME(16): no data-out buffer, the data is zeros.</summary>
    public bool NoDataOutBuffer => CdbLength == 16 && (Flags & 0x01) != 0;

    /// <summary>IMMED (byte 1 bit 1) of SYNCHRONIZE CACHE and PRE-FETCH.</summary>
    public bool Immediate => (Flags & 0x02) != 0;
}
