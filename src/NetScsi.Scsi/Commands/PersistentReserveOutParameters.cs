using System.Buffers.Binary;

namespace NetScsi.Scsi.Commands;

/// <summary>
/// The basic PERSISTENT RESERVE OUT parameter list (SPC-4 §6.16.3): RESERVATION KEY (bytes 0-7), SERVICE ACTION
/// RESERVATION KEY (8-15), byte 20 flags SPEC_I_PT (bit 3), ALL_TG_PT (bit 2), APTPL (bit 0). A list with SPEC_I_PT
/// continues with TransportIDs; this type reads only the 24 bytes.
/// </summary>
public readonly record struct PersistentReserveOutParameters(ulong ReservationKey, ulong ServiceActionKey, byte Flags = 0)
{
    /// <summary>The list without TransportIDs is 24 bytes.</summary>
    public const int Length = 24;

    /// <summary>Offset of the flags byte.</summary>
    public const int FlagsOffset = 20;

    public const byte SpecifyInitiatorPortsBit = 0x08;
    public const int SpecifyInitiatorPortsBitNumber = 3;
    public const byte AllTargetPortsBit = 0x04;
    public const int AllTargetPortsBitNumber = 2;
    public const byte ActivatePersistThroughPowerLossBit = 0x01;
    public const int ActivatePersistThroughPowerLossBitNumber = 0;

    /// <summary>SPEC_I_PT.</summary>
    public bool SpecifyInitiatorPorts => (Flags & SpecifyInitiatorPortsBit) != 0;

    /// <summary>ALL_TG_PT.</summary>
    public bool AllTargetPorts => (Flags & AllTargetPortsBit) != 0;

    /// <summary>APTPL.</summary>
    public bool ActivatePersistThroughPowerLoss => (Flags & ActivatePersistThroughPowerLossBit) != 0;

    /// <summary>Writes the 24 bytes; returns the length.</summary>
    public int WriteTo(Span<byte> destination)
    {
        Span<byte> d = destination[..Length];
        d.Clear();
        BinaryPrimitives.WriteUInt64BigEndian(d, ReservationKey);
        BinaryPrimitives.WriteUInt64BigEndian(d[8..], ServiceActionKey);
        d[FlagsOffset] = Flags;
        return Length;
    }

    /// <summary>Reads the 24 bytes; false when fewer arrived.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out PersistentReserveOutParameters result)
    {
        result = default;
        if (data.Length < Length)
        {
            return false;
        }
        result = new PersistentReserveOutParameters(
            BinaryPrimitives.ReadUInt64BigEndian(data), BinaryPrimitives.ReadUInt64BigEndian(data[8..]), data[FlagsOffset]);
        return true;
    }
}
