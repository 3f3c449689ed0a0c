using System.Buffers;
using System.Runtime.CompilerServices;

namespace NetScsi.Iscsi.Pdus;

/// <summary>The 48 header bytes of one PDU, copied out of the receive buffer.</summary>
[InlineArray(Bhs.Length)]
public struct BhsBuffer
{
    private byte _element0;
}

/// <summary>
/// One complete PDU located in a receive buffer: its header (copied), and its AHS and data segment
/// as slices of the buffer (valid until the reader advances past them). The data slice excludes
/// padding and digest.
/// </summary>
public struct PduFrame
{
    public BhsBuffer Header;
    public ReadOnlySequence<byte> AdditionalHeaders;
    public ReadOnlySequence<byte> Data;

    /// <summary>Bytes the whole PDU occupies on the wire (header, AHS, digests, data, padding).</summary>
    public long WireLength;

    public readonly IscsiOpcode Opcode => Bhs.GetOpcode(Header);

    public readonly int DataSegmentLength => (int)Data.Length;
}
