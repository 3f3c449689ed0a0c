using System.Buffers.Binary;

namespace NetScsi.Scsi.Commands;

/// <summary>Allocation-free decoding of CDB fields (big-endian, SPC-4 §4.2).</summary>
public static class CdbDecoder
{
    /// <summary>
    /// The CDB length implied by the operation code's group (SPC-4 §4.2.5.1): group 0 → 6, groups 1-2 → 10,
    /// group 4 → 16, group 5 → 12; 0 for the reserved and vendor-specific groups.
    /// </summary>
    public static int GetCdbLength(byte opcode) => (opcode >> 5) switch
    {
        0 => 6,
        1 or 2 => 10,
        4 => 16,
        5 => 12,
        _ => 0,
    };

    /// <summary>
    /// Decodes the LBA, transfer length and byte-1 flags of READ/WRITE/VERIFY/WRITE AND VERIFY/WRITE SAME/
    /// PRE-FETCH/SYNCHRONIZE CACHE in any of their sizes. False when the opcode is none of those or the CDB
    /// is too short.
    /// </summary>
    public static bool TryDecodeBlock(ReadOnlySpan<byte> cdb, out BlockCdb result)
    {
        result = default;
        if (cdb.IsEmpty)
        {
            return false;
        }
        switch (cdb[0])
        {
            case ScsiOpcode.Read6:
            case ScsiOpcode.Write6:
                if (cdb.Length < 6)
                {
                    return false;
                }
                // SBC-4 §5.14: 21-bit LBA; TRANSFER LENGTH 0 means 256 blocks.
                uint lba6 = ((uint)(cdb[1] & BlockCdb.Lba6HighMask) << 16) | ((uint)cdb[2] << 8) | cdb[3];
                uint length6 = cdb[4] == 0 ? BlockCdb.MaxTransferLength6 : cdb[4];
                result = new BlockCdb(lba6, length6, 0, 6, cdb[0]);
                return true;

            case ScsiOpcode.Read10:
            case ScsiOpcode.Write10:
            case ScsiOpcode.WriteAndVerify10:
            case ScsiOpcode.Verify10:
            case ScsiOpcode.PreFetch10:
            case ScsiOpcode.SynchronizeCache10:
            case ScsiOpcode.WriteSame10:
                if (cdb.Length < 10)
                {
                    return false;
                }
                result = new BlockCdb(
                    BinaryPrimitives.ReadUInt32BigEndian(cdb[2..]),
                    BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]),
                    cdb[1],
                    10,
                    cdb[0]);
                return true;

            case ScsiOpcode.Read12:
            case ScsiOpcode.Write12:
            case ScsiOpcode.WriteAndVerify12:
            case ScsiOpcode.Verify12:
                if (cdb.Length < 12)
                {
                    return false;
                }
                result = new BlockCdb(
                    BinaryPrimitives.ReadUInt32BigEndian(cdb[2..]),
                    BinaryPrimitives.ReadUInt32BigEndian(cdb[6..]),
                    cdb[1],
                    12,
                    cdb[0]);
                return true;

            case ScsiOpcode.Read16:
            case ScsiOpcode.Write16:
            case ScsiOpcode.OrWrite16:
            case ScsiOpcode.WriteAndVerify16:
            case ScsiOpcode.Verify16:
            case ScsiOpcode.PreFetch16:
            case ScsiOpcode.SynchronizeCache16:
            case ScsiOpcode.WriteSame16:
                if (cdb.Length < 16)
                {
                    return false;
                }
                result = new BlockCdb(
                    BinaryPrimitives.ReadUInt64BigEndian(cdb[2..]),
                    BinaryPrimitives.ReadUInt32BigEndian(cdb[10..]),
                    cdb[1],
                    16,
                    cdb[0]);
                return true;

            case ScsiOpcode.WriteAtomic16:
                if (cdb.Length < 16)
                {
                    return false;
                }
                // SBC-4 §5.48: 16-bit TRANSFER LENGTH in bytes 12-13 (bytes 10-11: ATOMIC BOUNDARY).
                result = new BlockCdb(
                    BinaryPrimitives.ReadUInt64BigEndian(cdb[2..]),
                    BinaryPrimitives.ReadUInt16BigEndian(cdb[12..]),
                    cdb[1],
                    16,
                    cdb[0]);
                return true;

            default:
                return false;
        }
    }

    /// <summary>ALLOCATION LENGTH of INQUIRY (bytes 3-4, SPC-4 §6.6.1).</summary>
    public static int InquiryAllocationLength(ReadOnlySpan<byte> cdb) => BinaryPrimitives.ReadUInt16BigEndian(cdb[3..]);

    /// <summary>Reads a big-endian 16-bit field.</summary>
    public static ushort ReadUInt16(ReadOnlySpan<byte> cdb, int offset) => BinaryPrimitives.ReadUInt16BigEndian(cdb[offset..]);

    /// <summary>Reads a big-endian 32-bit field.</summary>
    public static uint ReadUInt32(ReadOnlySpan<byte> cdb, int offset) => BinaryPrimitives.ReadUInt32BigEndian(cdb[offset..]);

    /// <summary>Reads a big-endian 64-bit field.</summary>
    public static ulong ReadUInt64(ReadOnlySpan<byte> cdb, int offset) => BinaryPrimitives.ReadUInt64BigEndian(cdb[offset..]);
}
