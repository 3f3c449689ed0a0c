using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace NetScsi.Iscsi.Pdus;

/// <summary>
/// Field access shared by every PDU's 48-byte Basic Header Segment (RFC 7143 §11.2.1):
/// <code>
/// Byte/     0       |       1       |       2       |       3       |
///    +---------------+---------------+---------------+---------------+
///   0|.|I| Opcode    |F|  Opcode-specific fields                     |
///    +---------------+---------------+---------------+---------------+
///   4|TotalAHSLength | DataSegmentLength                             |
///    +---------------+---------------+---------------+---------------+
///   8| LUN or Opcode-specific fields                                 |
///    +                                                               +
///  12|                                                               |
///    +---------------+---------------+---------------+---------------+
///  16| Initiator Task Tag                                            |
///    +---------------+---------------+---------------+---------------+
///  20/ Opcode-specific fields                                        /
///   +/                                                               /
///    +---------------+---------------+---------------+---------------+
///  48
/// </code>
/// All multi-byte fields are big-endian.
/// </summary>
public static class Bhs
{
    public const int Length = 48;

    /// <summary>The reserved tag value (RFC 7143 §11.2.1.8).</summary>
    public const uint ReservedTag = 0xFFFFFFFF;

    /// <summary>Largest DataSegmentLength a 24-bit field can carry.</summary>
    public const int MaxDataSegmentLength = 0xFFFFFF;

    public const byte ImmediateBit = 0x40;
    public const byte FinalBit = 0x80;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IscsiOpcode GetOpcode(ReadOnlySpan<byte> bhs) => (IscsiOpcode)(bhs[0] & 0x3F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsImmediate(ReadOnlySpan<byte> bhs) => (bhs[0] & ImmediateBit) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsFinal(ReadOnlySpan<byte> bhs) => (bhs[1] & FinalBit) != 0;

    /// <summary>Sets or clears the F bit (byte 1, bit 7).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SetFinal(Span<byte> bhs, bool final) => bhs[1] = (byte)(final ? bhs[1] | FinalBit : bhs[1] & ~FinalBit);

    /// <summary>TotalAHSLength in bytes (the field counts 4-byte words).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GetTotalAhsLength(ReadOnlySpan<byte> bhs) => bhs[4] * 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GetDataSegmentLength(ReadOnlySpan<byte> bhs) => (bhs[5] << 16) | (bhs[6] << 8) | bhs[7];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong GetLun(ReadOnlySpan<byte> bhs) => BinaryPrimitives.ReadUInt64BigEndian(bhs[8..]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint GetInitiatorTaskTag(ReadOnlySpan<byte> bhs) => BinaryPrimitives.ReadUInt32BigEndian(bhs[16..]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint ReadUInt32(ReadOnlySpan<byte> bhs, int offset) => BinaryPrimitives.ReadUInt32BigEndian(bhs[offset..]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteUInt32(Span<byte> bhs, int offset, uint value) => BinaryPrimitives.WriteUInt32BigEndian(bhs[offset..], value);

    /// <summary>Writes byte 0..7 and the ITT, clearing the rest of the header.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteCommon(Span<byte> bhs, IscsiOpcode opcode, bool immediate, byte flags, int dataSegmentLength, uint initiatorTaskTag)
    {
        bhs[..Length].Clear();
        bhs[0] = (byte)((byte)opcode | (immediate ? ImmediateBit : 0));
        bhs[1] = flags;
        SetDataSegmentLength(bhs, dataSegmentLength);
        BinaryPrimitives.WriteUInt32BigEndian(bhs[16..], initiatorTaskTag);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SetDataSegmentLength(Span<byte> bhs, int length)
    {
        if ((uint)length > MaxDataSegmentLength)
        {
            ThrowDataSegmentTooLong();
        }
        bhs[5] = (byte)(length >> 16);
        bhs[6] = (byte)(length >> 8);
        bhs[7] = (byte)length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SetLun(Span<byte> bhs, ulong lun) => BinaryPrimitives.WriteUInt64BigEndian(bhs[8..], lun);

    /// <summary>Data segments are padded to a multiple of 4 bytes; the pad is not counted in DataSegmentLength.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int PaddedLength(int length) => (length + 3) & ~3;

    private static void ThrowDataSegmentTooLong() => throw new ArgumentOutOfRangeException("length", "DataSegmentLength exceeds 24 bits.");
}
