namespace NetScsi.Transport.Aoe;

/// <summary>The MCmd of a MAC Mask List request (AoE r11 §5).</summary>
public enum AoeMaskCommand : byte
{
    /// <summary>Answer with the list.</summary>
    Read = 0,

    /// <summary>Apply the directives, then answer with the list.</summary>
    Edit = 1,
}

/// <summary>The DCmd of one MAC Mask List directive (AoE r11 §5).</summary>
public enum AoeMaskDirective : byte
{
    None = 0,
    Add = 1,
    Delete = 2,
}

/// <summary>The MError of a MAC Mask List response (AoE r11 §5).</summary>
public enum AoeMaskError : byte
{
    None = 0,
    Unspecified = 1,
    BadDirective = 2,
    ListFull = 3,
}

/// <summary>
/// The argument of MAC Mask List (AoE r11 §5), after the <see cref="AoeHeader"/>: reserved, MCmd, MError, Dir Count,
/// then Dir Count directives of 8 octets (reserved, DCmd, MAC). A response carries the whole list as Add directives.
/// While the list is not empty a target answers only the MACs on it. Pure codec: no I/O.
/// </summary>
public readonly record struct AoeMacMaskHeader
{
    public const int Length = 4;

    public const int DirectiveLength = 8;

    public AoeMaskCommand Command { get; init; }

    public AoeMaskError Error { get; init; }

    public byte DirectiveCount { get; init; }

    public void WriteTo(Span<byte> destination)
    {
        destination[0] = 0;
        destination[1] = (byte)Command;
        destination[2] = (byte)Error;
        destination[3] = DirectiveCount;
    }

    /// <summary>Reads the argument; <paramref name="directives"/> are the Dir Count directives, which must lie within the frame.</summary>
    public static AoeReadStatus TryRead(ReadOnlySpan<byte> argument, out AoeMacMaskHeader header, out ReadOnlySpan<byte> directives)
    {
        header = default;
        directives = default;
        if (argument.Length < Length)
        {
            return AoeReadStatus.Truncated;
        }

        int count = argument[3];
        if (count * DirectiveLength > argument.Length - Length)
        {
            return AoeReadStatus.Truncated;
        }

        header = new AoeMacMaskHeader { Command = (AoeMaskCommand)argument[1], Error = (AoeMaskError)argument[2], DirectiveCount = (byte)count };
        directives = argument.Slice(Length, count * DirectiveLength);
        return AoeReadStatus.Ok;
    }
}
