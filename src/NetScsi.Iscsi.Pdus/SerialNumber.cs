using System.Runtime.CompilerServices;

namespace NetScsi.Iscsi.Pdus;

/// <summary>RFC 1982 serial-number arithmetic on 32-bit sequence numbers (CmdSN, StatSN, DataSN, R2TSN).</summary>
public static class SerialNumber
{
    /// <summary>a &lt; b in serial arithmetic.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool LessThan(uint a, uint b) => a != b && (int)(a - b) < 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool LessOrEqual(uint a, uint b) => a == b || (int)(a - b) < 0;

    /// <summary>True when <paramref name="sn"/> lies in [low, high].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool InWindow(uint sn, uint low, uint high) => LessOrEqual(low, sn) && LessOrEqual(sn, high);
}
