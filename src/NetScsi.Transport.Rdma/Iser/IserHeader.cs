using System.Buffers.Binary;

namespace NetScsi.Transport.Rdma.Iser;

/// <summary>
/// The iSER header of an iSCSI control-type PDU (RFC 7145 §9.2): it leads every SEND that carries a PDU, before the
/// BHS. It advertises the initiator's buffers the target may RDMA WRITE into (read data: Read STag) and RDMA READ
/// from (write data: Write STag). Pure codec: no I/O.
/// </summary>
/// <remarks>
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |0 0 0 1|W|R|Rsv|                   Reserved                    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                          Write STag                           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                     Write Base Offset (64)                    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                          Read STag                            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                     Read Base Offset (64)                     |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// Big-endian. W (0x08): Write STag and Write Base Offset are valid; R (0x04): Read STag and Read Base Offset are.
/// Only the initiator sets them, on a SCSI Command with write or read data; a target sends the header with both clear.
/// On InfiniBand and RoCE the base offset is the virtual address of the buffer (no zero-based addressing: the
/// peers agree on it in the CM private data, <see cref="IserCmPrivateData"/>).
/// </remarks>
public readonly record struct IserHeader
{
    /// <summary>Bytes of the header.</summary>
    public const int Length = 28;

    /// <summary>W: the Write STag and Write Base Offset fields are valid.</summary>
    public const byte WriteStagValid = 0x08;

    /// <summary>R: the Read STag and Read Base Offset fields are valid.</summary>
    public const byte ReadStagValid = 0x04;

    /// <summary>A control header with no buffers advertised (every target PDU, every initiator PDU but data commands).</summary>
    public static IserHeader Control => default;

    /// <summary>The Write STag (W set): the initiator's registration the target RDMA READs write data from.</summary>
    public uint? WriteStag { get; init; }

    /// <summary>Where the write data starts in that registration.</summary>
    public ulong WriteBaseOffset { get; init; }

    /// <summary>The Read STag (R set): the initiator's registration the target RDMA WRITEs read data into.</summary>
    public uint? ReadStag { get; init; }

    /// <summary>Where the read data goes in that registration.</summary>
    public ulong ReadBaseOffset { get; init; }

    /// <summary>The first byte: opcode 1 and the W and R bits.</summary>
    public byte Flags => (byte)(((byte)IserOpcode.Control << 4) | (WriteStag.HasValue ? WriteStagValid : 0) | (ReadStag.HasValue ? ReadStagValid : 0));

    /// <summary>Writes the 28 bytes; reserved fields, and the fields of a buffer not advertised, are zero.</summary>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException($"An iSER header needs {Length} bytes.", nameof(destination));
        }

        destination[0] = Flags;
        destination[1] = 0;
        destination[2] = 0;
        destination[3] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], WriteStag.GetValueOrDefault());
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], WriteStag.HasValue ? WriteBaseOffset : 0);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], ReadStag.GetValueOrDefault());
        BinaryPrimitives.WriteUInt64BigEndian(destination[20..], ReadStag.HasValue ? ReadBaseOffset : 0);
    }

    /// <summary>
    /// Decodes the header at the start of a received SEND. Reserved bits are ignored (RFC 7145 §9.2: "reserved
    /// fields ... ignored upon receipt"); the fields of a buffer whose bit is clear are dropped.
    /// </summary>
    public static IserReadStatus TryRead(ReadOnlySpan<byte> source, out IserHeader header)
    {
        header = default;
        if (source.Length < Length)
        {
            return IserReadStatus.TooShort;
        }

        if (OpcodeOf(source[0]) != IserOpcode.Control)
        {
            return IserReadStatus.WrongOpcode;
        }

        byte flags = source[0];
        header = new IserHeader
        {
            WriteStag = (flags & WriteStagValid) != 0 ? BinaryPrimitives.ReadUInt32BigEndian(source[4..]) : null,
            WriteBaseOffset = (flags & WriteStagValid) != 0 ? BinaryPrimitives.ReadUInt64BigEndian(source[8..]) : 0,
            ReadStag = (flags & ReadStagValid) != 0 ? BinaryPrimitives.ReadUInt32BigEndian(source[16..]) : null,
            ReadBaseOffset = (flags & ReadStagValid) != 0 ? BinaryPrimitives.ReadUInt64BigEndian(source[20..]) : 0,
        };
        return IserReadStatus.Ok;
    }

    /// <summary>The opcode of any iSER message from its first byte (RFC 7145 §9.1).</summary>
    public static IserOpcode OpcodeOf(byte first) => (IserOpcode)(first >> 4);
}
