using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NetScsi.Iscsi.Digests;

/// <summary>
/// CRC32C (Castagnoli), the iSCSI header and data digest (RFC 7143 §13.1, RFC 3385): reflected,
/// initial value and final XOR 0xFFFFFFFF, sent on the wire least significant byte first.
/// <see cref="BitOperations.Crc32C(uint, ulong)"/> uses the SSE4.2 / ARMv8 instruction where present.
/// </summary>
public static class Crc32C
{
    public const int DigestLength = 4;

    /// <summary>Starts a running CRC.</summary>
    public const uint Seed = 0xFFFFFFFF;

    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Seed, data));

    /// <summary>Feeds more bytes into a running (not yet finished) CRC.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        int i = 0;
        for (; i + 8 <= length; i += 8)
        {
            crc = BitOperations.Crc32C(crc, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i)));
        }
        for (; i < length; i++)
        {
            crc = BitOperations.Crc32C(crc, Unsafe.Add(ref start, i));
        }
        return crc;
    }

    public static uint Append(uint crc, in ReadOnlySequence<byte> data)
    {
        if (data.IsSingleSegment)
        {
            return Append(crc, data.FirstSpan);
        }
        foreach (var segment in data)
        {
            crc = Append(crc, segment.Span);
        }
        return crc;
    }

    /// <summary>Pads the running CRC with the zero bytes that bring <paramref name="length"/> to a multiple of 4 (digests cover the pad).</summary>
    public static uint AppendPadding(uint crc, int length)
    {
        for (int pad = (4 - (length & 3)) & 3; pad > 0; pad--)
        {
            crc = BitOperations.Crc32C(crc, (byte)0);
        }
        return crc;
    }

    public static uint Finish(uint crc) => crc ^ 0xFFFFFFFF;

    /// <summary>Writes the digest in wire order (little-endian, RFC 7143 §13.1 / RFC 3385).</summary>
    public static void Write(Span<byte> destination, uint digest) => BinaryPrimitives.WriteUInt32LittleEndian(destination, digest);

    public static uint Read(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadUInt32LittleEndian(source);
}
