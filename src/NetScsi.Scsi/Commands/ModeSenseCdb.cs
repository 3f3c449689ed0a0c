using System.Buffers.Binary;

namespace NetScsi.Scsi.Commands;

/// <summary>
/// MODE SENSE(6) and MODE SENSE(10) (SPC-4 §6.11, §6.12): byte 1 DBD (bit 3) and, in the 10-byte form, LLBAA
/// (bit 4); byte 2 PC (bits 7-6) and PAGE CODE (bits 5-0); byte 3 SUBPAGE CODE; ALLOCATION LENGTH in byte 4 (6) or
/// bytes 7-8 (10).
/// </summary>
public readonly record struct ModeSenseCdb(
    byte PageCode, byte PageControl = ModeSenseCdb.CurrentValues, byte SubpageCode = 0, ushort AllocationLength = byte.MaxValue,
    bool DisableBlockDescriptors = false, bool LongLba = false, int CdbLength = ModeSenseCdb.Length6)
{
    public const int Length6 = 6;
    public const int Length10 = 10;

    // SPC-4 §6.11.2: PAGE CONTROL.
    public const byte CurrentValues = 0;
    public const byte ChangeableValues = 1;
    public const byte DefaultValues = 2;
    public const byte SavedValues = 3;

    /// <summary>PAGE CODE 3Fh: every page.</summary>
    public const byte AllPages = 0x3F;

    public const byte DisableBlockDescriptorsBit = 0x08;
    public const byte LongLbaAcceptedBit = 0x10;
    private const int PageControlShift = 6;
    private const byte PageCodeMask = 0x3F;

    /// <summary>Writes the CDB; returns its length.</summary>
    public int WriteTo(Span<byte> cdb)
    {
        bool ten = CdbLength == Length10;
        if (!ten && CdbLength != Length6)
        {
            throw new InvalidOperationException($"MODE SENSE has no {CdbLength}-byte form.");
        }
        if (!ten)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(AllocationLength, byte.MaxValue, nameof(AllocationLength));
        }
        Span<byte> c = cdb[..CdbLength];
        c.Clear();
        c[0] = ten ? ScsiOpcode.ModeSense10 : ScsiOpcode.ModeSense6;
        c[1] = (byte)((DisableBlockDescriptors ? DisableBlockDescriptorsBit : 0) | (ten && LongLba ? LongLbaAcceptedBit : 0));
        c[2] = (byte)((PageControl << PageControlShift) | (PageCode & PageCodeMask));
        c[3] = SubpageCode;
        if (ten)
        {
            BinaryPrimitives.WriteUInt16BigEndian(c[7..], AllocationLength);
        }
        else
        {
            c[4] = (byte)AllocationLength;
        }
        return CdbLength;
    }

    /// <summary>Reads MODE SENSE(6) or (10); false for another operation code or a short CDB.</summary>
    public static bool TryParse(ReadOnlySpan<byte> cdb, out ModeSenseCdb result)
    {
        result = default;
        bool ten;
        if (cdb.Length >= Length6 && cdb[0] == ScsiOpcode.ModeSense6)
        {
            ten = false;
        }
        else if (cdb.Length >= Length10 && cdb[0] == ScsiOpcode.ModeSense10)
        {
            ten = true;
        }
        else
        {
            return false;
        }
        result = new ModeSenseCdb(
            (byte)(cdb[2] & PageCodeMask),
            (byte)(cdb[2] >> PageControlShift),
            cdb[3],
            ten ? BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]) : cdb[4],
            (cdb[1] & DisableBlockDescriptorsBit) != 0,
            ten && (cdb[1] & LongLbaAcceptedBit) != 0,
            ten ? Length10 : Length6);
        return true;
    }
}
