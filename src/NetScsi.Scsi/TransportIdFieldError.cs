namespace NetScsi.Scsi;

/// <summary>
/// The field of a malformed TransportID: a byte offset from its start and a bit (-1: the whole byte or field), or
/// <see cref="WrongLength"/> when its length does not fit the protocol (the field in error is then the length the
/// parameter list gave it).
/// </summary>
public readonly record struct TransportIdFieldError(int Offset, int Bit)
{
    /// <summary>The TransportID is too short, or not a length the protocol allows.</summary>
    public static TransportIdFieldError WrongLength => new(-1, -1);

    /// <summary>True for <see cref="WrongLength"/>.</summary>
    public bool IsLength => Offset < 0;
}
