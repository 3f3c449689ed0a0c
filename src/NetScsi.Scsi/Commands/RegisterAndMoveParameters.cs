using System.Buffers.Binary;

namespace NetScsi.Scsi.Commands;

/// <summary>
/// The header of the PERSISTENT RESERVE OUT REGISTER AND MOVE parameter list (SPC-4 §6.16.4): RESERVATION KEY
/// (bytes 0-7), SERVICE ACTION RESERVATION KEY (8-15), byte 17 UNREG (bit 1) and APTPL (bit 0), RELATIVE TARGET PORT
/// IDENTIFIER (18-19), TRANSPORTID PARAMETER DATA LENGTH (20-23); the TransportID follows.
/// </summary>
public readonly record struct RegisterAndMoveParameters(
    ulong ReservationKey, ulong ServiceActionKey, bool Unregister, bool ActivatePersistThroughPowerLoss, ushort RelativeTargetPortId, uint TransportIdLength)
{
    /// <summary>The header is 24 bytes.</summary>
    public const int HeaderLength = 24;

    public const int FlagsOffset = 17;
    public const int RelativeTargetPortIdOffset = 18;
    public const int TransportIdLengthOffset = 20;
    public const byte UnregisterBit = 0x02;
    public const byte ActivatePersistThroughPowerLossBit = 0x01;
    public const int ActivatePersistThroughPowerLossBitNumber = 0;

    /// <summary>Writes the header and <paramref name="transportId"/> after it; returns the list length.</summary>
    public int WriteTo(Span<byte> destination, ReadOnlySpan<byte> transportId)
    {
        Span<byte> d = destination[..(HeaderLength + transportId.Length)];
        d.Clear();
        BinaryPrimitives.WriteUInt64BigEndian(d, ReservationKey);
        BinaryPrimitives.WriteUInt64BigEndian(d[8..], ServiceActionKey);
        d[FlagsOffset] = (byte)((Unregister ? UnregisterBit : 0) | (ActivatePersistThroughPowerLoss ? ActivatePersistThroughPowerLossBit : 0));
        BinaryPrimitives.WriteUInt16BigEndian(d[RelativeTargetPortIdOffset..], RelativeTargetPortId);
        BinaryPrimitives.WriteUInt32BigEndian(d[TransportIdLengthOffset..], TransportIdLength);
        transportId.CopyTo(d[HeaderLength..]);
        return d.Length;
    }

    /// <summary>Reads the header; false when fewer than 24 bytes arrived.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out RegisterAndMoveParameters result)
    {
        result = default;
        if (data.Length < HeaderLength)
        {
            return false;
        }
        result = new RegisterAndMoveParameters(
            BinaryPrimitives.ReadUInt64BigEndian(data),
            BinaryPrimitives.ReadUInt64BigEndian(data[8..]),
            (data[FlagsOffset] & UnregisterBit) != 0,
            (data[FlagsOffset] & ActivatePersistThroughPowerLossBit) != 0,
            BinaryPrimitives.ReadUInt16BigEndian(data[RelativeTargetPortIdOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(data[TransportIdLengthOffset..]));
        return true;
    }
}
