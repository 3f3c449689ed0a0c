namespace NetScsi.Transport.Aoe;

/// <summary>The RCmd of a Reserve/Release request (AoE r11 §6).</summary>
public enum AoeReserveCommand : byte
{
    /// <summary>Answer with the reserve list.</summary>
    Read = 0,

    /// <summary>Replace the list, unless it is not empty and the sender is not on it (error 6).</summary>
    Set = 1,

    /// <summary>Replace the list whoever holds it.</summary>
    ForceSet = 2,
}

/// <summary>
/// The argument of Reserve/Release (AoE r11 §6), after the <see cref="AoeHeader"/>: RCmd, NMacs, then NMacs MAC
/// addresses of 6 octets. An empty list releases. While the list is not empty only its MACs may issue ATA commands;
/// others get error 6. Pure codec: no I/O.
/// </summary>
public readonly record struct AoeReserveHeader
{
    public const int Length = 2;

    public AoeReserveCommand Command { get; init; }

    public byte AddressCount { get; init; }

    public void WriteTo(Span<byte> destination)
    {
        destination[0] = (byte)Command;
        destination[1] = AddressCount;
    }

    /// <summary>Reads the argument; <paramref name="addresses"/> are the NMacs addresses, which must lie within the frame.</summary>
    public static AoeReadStatus TryRead(ReadOnlySpan<byte> argument, out AoeReserveHeader header, out ReadOnlySpan<byte> addresses)
    {
        header = default;
        addresses = default;
        if (argument.Length < Length)
        {
            return AoeReadStatus.Truncated;
        }

        int count = argument[1];
        if (count * Ethernet.MacAddress.Length > argument.Length - Length)
        {
            return AoeReadStatus.Truncated;
        }

        header = new AoeReserveHeader { Command = (AoeReserveCommand)argument[0], AddressCount = (byte)count };
        addresses = argument.Slice(Length, count * Ethernet.MacAddress.Length);
        return AoeReadStatus.Ok;
    }
}
