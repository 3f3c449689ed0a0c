using System.Buffers.Binary;

namespace NetScsi.Scsi.Commands;

/// <summary>
/// SEND MESSAGE(6) and SEND MESSAGE(10) of a communications device (SCSI-2 §18.2.4, §18.2.5), the commands RFC 2143
/// §3 carries IP datagrams in. SEND MESSAGE(6): bytes 2-4 TRANSFER LENGTH (24 bits), no stream selection.
/// SEND MESSAGE(10): bytes 4-5 STREAM SELECTION (RFC 2143 §3: the payload type, like an Ethernet type), bytes 7-8
/// TRANSFER LENGTH (16 bits: an IPv4 datagram is never fragmented). The transfer length counts bytes; 0 sends
/// nothing and is no error. Byte 1 held the LUN in SCSI-2 and is otherwise reserved.
/// </summary>
/// <param name="StreamSelection">STREAM SELECTION (0 for the 6-byte form).</param>
/// <param name="TransferLength">TRANSFER LENGTH in bytes.</param>
/// <param name="CdbLength">6 or 10.</param>
public readonly record struct SendMessageCdb(ushort StreamSelection, uint TransferLength, int CdbLength = SendMessageCdb.Length10)
{
    public const int Length6 = 6;
    public const int Length10 = 10;

    /// <summary>Largest TRANSFER LENGTH of SEND MESSAGE(6) (24 bits).</summary>
    public const uint MaxTransferLength6 = 0xFF_FFFF;

    /// <summary>Largest TRANSFER LENGTH of SEND MESSAGE(10) (16 bits).</summary>
    public const uint MaxTransferLength10 = ushort.MaxValue;

    /// <summary>Byte offset of TRANSFER LENGTH in the 6-byte form (for field pointers).</summary>
    public const int TransferLengthOffset6 = 2;

    /// <summary>Byte offset of STREAM SELECTION in the 10-byte form.</summary>
    public const int StreamSelectionOffset = 4;

    /// <summary>Byte offset of TRANSFER LENGTH in the 10-byte form.</summary>
    public const int TransferLengthOffset10 = 7;

    /// <summary>Byte offset of TRANSFER LENGTH in this form.</summary>
    public int TransferLengthOffset => CdbLength == Length6 ? TransferLengthOffset6 : TransferLengthOffset10;

    /// <summary>Writes the CDB; returns its length. Throws when a field does not fit the form.</summary>
    public int WriteTo(Span<byte> cdb)
    {
        switch (CdbLength)
        {
            case Length6:
                if (StreamSelection != 0)
                {
                    throw new InvalidOperationException("SEND MESSAGE(6) has no STREAM SELECTION field.");
                }
                ArgumentOutOfRangeException.ThrowIfGreaterThan(TransferLength, MaxTransferLength6, nameof(TransferLength));
                Span<byte> c6 = cdb[..Length6];
                c6.Clear();
                c6[0] = ScsiOpcode.SendMessage6;
                c6[2] = (byte)(TransferLength >> 16);
                BinaryPrimitives.WriteUInt16BigEndian(c6[3..], (ushort)TransferLength);
                return Length6;
            case Length10:
                ArgumentOutOfRangeException.ThrowIfGreaterThan(TransferLength, MaxTransferLength10, nameof(TransferLength));
                Span<byte> c10 = cdb[..Length10];
                c10.Clear();
                c10[0] = ScsiOpcode.SendMessage10;
                BinaryPrimitives.WriteUInt16BigEndian(c10[StreamSelectionOffset..], StreamSelection);
                BinaryPrimitives.WriteUInt16BigEndian(c10[TransferLengthOffset10..], (ushort)TransferLength);
                return Length10;
            default:
                throw new InvalidOperationException($"SEND MESSAGE has no {CdbLength}-byte form here.");
        }
    }

    /// <summary>Reads SEND MESSAGE(6) or (10); false for any other operation code or a short CDB.</summary>
    public static bool TryParse(ReadOnlySpan<byte> cdb, out SendMessageCdb result)
    {
        result = default;
        if (cdb.IsEmpty)
        {
            return false;
        }
        switch (cdb[0])
        {
            case ScsiOpcode.SendMessage6 when cdb.Length >= Length6:
                result = new SendMessageCdb(0, ((uint)cdb[2] << 16) | BinaryPrimitives.ReadUInt16BigEndian(cdb[3..]), Length6);
                return true;
            case ScsiOpcode.SendMessage10 when cdb.Length >= Length10:
                result = new SendMessageCdb(
                    BinaryPrimitives.ReadUInt16BigEndian(cdb[StreamSelectionOffset..]), BinaryPrimitives.ReadUInt16BigEndian(cdb[TransferLengthOffset10..]), Length10);
                return true;
            default:
                return false;
        }
    }
}
