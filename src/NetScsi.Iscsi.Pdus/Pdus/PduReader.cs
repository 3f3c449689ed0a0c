using System.Buffers;

namespace NetScsi.Iscsi.Pdus;

/// <summary>
/// Locates PDUs in a byte stream (RFC 7143 §11.2). No I/O: the caller feeds what its pipe holds and
/// advances past <see cref="PduFrame.WireLength"/> bytes once the frame has been consumed.
/// </summary>
public static class PduReader
{
    /// <summary>
    /// Tries to read one PDU from the start of <paramref name="buffer"/>. Oversized data segments are
    /// refused as soon as the header is complete, so a hostile length never makes us buffer it.
    /// </summary>
    /// <param name="maxDataSegmentLength">Our MaxRecvDataSegmentLength (login: 8192 until negotiated).</param>
    public static PduReadResult TryRead(in ReadOnlySequence<byte> buffer, int maxDataSegmentLength, bool headerDigest, bool dataDigest, out PduFrame frame)
    {
        frame = default;
        if (buffer.Length < Bhs.Length)
        {
            return PduReadResult.Incomplete;
        }
        buffer.Slice(0, Bhs.Length).CopyTo(frame.Header);
        ReadOnlySpan<byte> header = frame.Header;
        int ahsLength = Bhs.GetTotalAhsLength(header);
        int dataLength = Bhs.GetDataSegmentLength(header);
        if (dataLength > maxDataSegmentLength)
        {
            return PduReadResult.DataSegmentTooLong;
        }

        long headerEnd = Bhs.Length + ahsLength;
        long dataStart = headerEnd + (headerDigest ? Digests.Crc32C.DigestLength : 0);

        if (headerDigest)
        {
            // Checked as soon as header, AHS and digest are here, before waiting for the data: a header
            // that fails its digest has an untrustworthy DataSegmentLength, and waiting for that many
            // bytes could stall the connection (the initiator may be waiting for our reply).
            if (buffer.Length < dataStart)
            {
                return PduReadResult.Incomplete;
            }
            // RFC 7143 §11.2.3: the header digest covers the BHS and any AHS.
            uint crc = Digests.Crc32C.Append(Digests.Crc32C.Seed, header);
            crc = Digests.Crc32C.Append(crc, buffer.Slice(Bhs.Length, ahsLength));
            if (Digests.Crc32C.Finish(crc) != ReadDigest(buffer, headerEnd))
            {
                return PduReadResult.HeaderDigestError;
            }
        }

        long paddedData = Bhs.PaddedLength(dataLength);
        long total = dataStart + paddedData + (dataDigest && dataLength > 0 ? Digests.Crc32C.DigestLength : 0);
        if (buffer.Length < total)
        {
            return PduReadResult.Incomplete;
        }

        frame.WireLength = total;
        frame.AdditionalHeaders = buffer.Slice(Bhs.Length, ahsLength);
        frame.Data = buffer.Slice(dataStart, dataLength);

        if (dataDigest && dataLength > 0)
        {
            // The data digest covers the data and its padding.
            uint crc = Digests.Crc32C.Append(Digests.Crc32C.Seed, buffer.Slice(dataStart, paddedData));
            if (Digests.Crc32C.Finish(crc) != ReadDigest(buffer, dataStart + paddedData))
            {
                return PduReadResult.DataDigestError;
            }
        }
        return PduReadResult.Complete;
    }

    private static uint ReadDigest(in ReadOnlySequence<byte> buffer, long offset)
    {
        Span<byte> digest = stackalloc byte[Digests.Crc32C.DigestLength];
        buffer.Slice(offset, Digests.Crc32C.DigestLength).CopyTo(digest);
        return Digests.Crc32C.Read(digest);
    }
}
