using System.Buffers;

namespace NetScsi.Iscsi.Pdus;

/// <summary>
/// Writes a PDU (header already encoded) plus its data segment into a buffer writer: header digest,
/// data, zero padding, data digest. No I/O and no allocation: the writer is a pipe's.
/// </summary>
public static class PduWriter
{
    private static ReadOnlySpan<byte> Zeros => [0, 0, 0];

    /// <summary>Writes a PDU whose BHS is <paramref name="header"/> and whose data segment is <paramref name="data"/>.</summary>
    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> header, ReadOnlySpan<byte> data, bool headerDigest, bool dataDigest)
    {
        WriteHeader(output, header, headerDigest);
        if (data.Length > 0)
        {
            output.Write(data);
            uint crc = dataDigest ? Digests.Crc32C.Append(Digests.Crc32C.Seed, data) : Digests.Crc32C.Seed;
            WriteDataTrailer(output, crc, data.Length, dataDigest);
        }
    }

    /// <summary>Writes a PDU whose data segment is a sequence (for example, a slice of a pooled buffer list).</summary>
    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> header, in ReadOnlySequence<byte> data, bool headerDigest, bool dataDigest)
    {
        WriteHeader(output, header, headerDigest);
        if (data.Length > 0)
        {
            uint crc = Digests.Crc32C.Seed;
            foreach (var segment in data)
            {
                output.Write(segment.Span);
                if (dataDigest)
                {
                    crc = Digests.Crc32C.Append(crc, segment.Span);
                }
            }
            WriteDataTrailer(output, crc, (int)data.Length, dataDigest);
        }
    }

    /// <summary>Writes the BHS and, if negotiated, its digest.</summary>
    public static void WriteHeader(IBufferWriter<byte> output, ReadOnlySpan<byte> header, bool headerDigest)
        => output.Advance(WriteHeader(output.GetSpan(Bhs.Length + Digests.Crc32C.DigestLength), header, headerDigest));

    /// <summary>Copies the BHS and, if negotiated, its digest into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int WriteHeader(Span<byte> destination, ReadOnlySpan<byte> header, bool headerDigest)
    {
        header[..Bhs.Length].CopyTo(destination);
        if (!headerDigest)
        {
            return Bhs.Length;
        }
        Digests.Crc32C.Write(destination[Bhs.Length..], Digests.Crc32C.Compute(header[..Bhs.Length]));
        return Bhs.Length + Digests.Crc32C.DigestLength;
    }

    /// <summary>Pad and, if negotiated, data digest after a data segment whose running CRC is <paramref name="crc"/>.</summary>
    public static void WriteDataTrailer(IBufferWriter<byte> output, uint crc, int dataLength, bool dataDigest)
    {
        int pad = Bhs.PaddedLength(dataLength) - dataLength;
        if (pad > 0)
        {
            output.Write(Zeros[..pad]);
        }
        if (dataDigest)
        {
            crc = Digests.Crc32C.AppendPadding(crc, dataLength);
            var span = output.GetSpan(Digests.Crc32C.DigestLength);
            Digests.Crc32C.Write(span, Digests.Crc32C.Finish(crc));
            output.Advance(Digests.Crc32C.DigestLength);
        }
    }
}
