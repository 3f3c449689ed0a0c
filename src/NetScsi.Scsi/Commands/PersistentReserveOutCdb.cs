using System.Buffers.Binary;
using NetScsi.Scsi.Emulation;

namespace NetScsi.Scsi.Commands;

/// <summary>
/// PERSISTENT RESERVE OUT (SPC-4 §6.16.1): byte 1 bits 4-0 SERVICE ACTION, byte 2 SCOPE (bits 7-4) and TYPE
/// (bits 3-0), bytes 5-8 PARAMETER LIST LENGTH.
/// </summary>
public readonly record struct PersistentReserveOutCdb(byte ServiceAction, byte Scope, PersistentReservationType Type, uint ParameterListLength)
{
    /// <summary>The CDB is 10 bytes.</summary>
    public const int Length = 10;

    public const byte Register = 0x00;
    public const byte Reserve = 0x01;
    public const byte Release = 0x02;
    public const byte Clear = 0x03;
    public const byte Preempt = 0x04;
    public const byte PreemptAndAbort = 0x05;
    public const byte RegisterAndIgnoreExistingKey = 0x06;
    public const byte RegisterAndMove = 0x07;
    public const byte ReplaceLostReservation = 0x08;

    /// <summary>SCOPE 0h: LU_SCOPE.</summary>
    public const byte LogicalUnitScope = 0x0;

    private const int ScopeShift = 4;
    private const byte TypeMask = 0x0F;

    /// <summary>A service action with the basic parameter list (24 bytes) and LU_SCOPE.</summary>
    public PersistentReserveOutCdb(byte serviceAction, PersistentReservationType type = PersistentReservationType.None)
        : this(serviceAction, LogicalUnitScope, type, PersistentReserveOutParameters.Length)
    {
    }

    /// <summary>Writes the CDB; returns its length.</summary>
    public int WriteTo(Span<byte> cdb)
    {
        Span<byte> c = cdb[..Length];
        c.Clear();
        c[0] = ScsiOpcode.PersistentReserveOut;
        c[1] = (byte)(ServiceAction & CdbFields.ServiceActionMask);
        c[2] = (byte)((Scope << ScopeShift) | ((byte)Type & TypeMask));
        BinaryPrimitives.WriteUInt32BigEndian(c[5..], ParameterListLength);
        return Length;
    }

    /// <summary>Reads the CDB; false when it is not a PERSISTENT RESERVE OUT or too short.</summary>
    public static bool TryParse(ReadOnlySpan<byte> cdb, out PersistentReserveOutCdb result)
    {
        result = default;
        if (cdb.Length < Length || cdb[0] != ScsiOpcode.PersistentReserveOut)
        {
            return false;
        }
        result = new PersistentReserveOutCdb(
            (byte)(cdb[1] & CdbFields.ServiceActionMask),
            (byte)(cdb[2] >> ScopeShift),
            (PersistentReservationType)(cdb[2] & TypeMask),
            BinaryPrimitives.ReadUInt32BigEndian(cdb[5..]));
        return true;
    }
}
