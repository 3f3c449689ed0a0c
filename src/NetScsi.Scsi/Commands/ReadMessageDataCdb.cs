using System.Buffers.Binary;

namespace NetScsi.Scsi.Commands;

/// <summary>
/// READ MESSAGE DATA (vendor-specific operation code C1h, 16 bytes; SPC-4 §4.2.5.1 leaves C0h-FFh to vendors): a
/// communications unit's data-in of message data its owner registered under a handle, so that a receiver can pull a
/// large message straight into its own buffer (the rendezvous of docs/messaging.md). Bytes 2-5 HANDLE, bytes 6-9
/// OFFSET in the registered data, bytes 10-13 TRANSFER LENGTH in bytes, byte 15 CONTROL; bytes 1 and 14 reserved.
/// </summary>
/// <param name="Handle">What the data was registered under (the announcing message tells it).</param>
/// <param name="Offset">Where in the registered data the transfer starts.</param>
/// <param name="TransferLength">Bytes to transfer.</param>
public readonly record struct ReadMessageDataCdb(uint Handle, uint Offset, uint TransferLength)
{
    public const int Length = 16;

    /// <summary>Byte offset of HANDLE (for field pointers).</summary>
    public const int HandleOffset = 2;

    /// <summary>Byte offset of OFFSET.</summary>
    public const int OffsetOffset = 6;

    /// <summary>Byte offset of TRANSFER LENGTH.</summary>
    public const int TransferLengthOffset = 10;

    /// <summary>Writes the CDB; returns its length.</summary>
    public int WriteTo(Span<byte> cdb)
    {
        Span<byte> c = cdb[..Length];
        c.Clear();
        c[0] = ScsiOpcode.ReadMessageData;
        BinaryPrimitives.WriteUInt32BigEndian(c[HandleOffset..], Handle);
        BinaryPrimitives.WriteUInt32BigEndian(c[OffsetOffset..], Offset);
        BinaryPrimitives.WriteUInt32BigEndian(c[TransferLengthOffset..], TransferLength);
        return Length;
    }

    /// <summary>Reads the CDB; false for another operation code or a short CDB.</summary>
    public static bool TryParse(ReadOnlySpan<byte> cdb, out ReadMessageDataCdb result)
    {
        result = default;
        if (cdb.Length < Length || cdb[0] != ScsiOpcode.ReadMessageData)
        {
            return false;
        }
        result = new ReadMessageDataCdb(
            BinaryPrimitives.ReadUInt32BigEndian(cdb[HandleOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(cdb[OffsetOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(cdb[TransferLengthOffset..]));
        return true;
    }
}
