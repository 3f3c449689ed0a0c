namespace NetScsi.Scsi;

/// <summary>
/// The 3-byte sense-key specific field (SPC-4 §4.5.2.4.1): SKSV plus, for ILLEGAL REQUEST, a field
/// pointer into the CDB or parameter list (SPC-4 §4.5.2.4.2). <c>default</c> means "not valid".
/// </summary>
public readonly struct SenseKeySpecific : IEquatable<SenseKeySpecific>
{
    private readonly byte _byte0;
    private readonly byte _byte1;
    private readonly byte _byte2;

    private SenseKeySpecific(byte b0, byte b1, byte b2)
    {
        _byte0 = b0;
        _byte1 = b1;
        _byte2 = b2;
    }

    /// <summary>SKSV: the field holds information.</summary>
    public bool IsValid => (_byte0 & 0x80) != 0;

    /// <summary>
    /// Field pointer (SPC-4 §4.5.2.4.2). <paramref name="inCdb"/> sets C/D (the error is in the CDB,
    /// not the parameter list); <paramref name="bitPointer"/> 0..7 sets BPV and names the leftmost bit
    /// of the field, -1 leaves BPV clear.
    /// </summary>
    public static SenseKeySpecific FieldPointer(bool inCdb, ushort byteOffset, int bitPointer = -1)
    {
        byte b0 = 0x80;
        if (inCdb)
        {
            b0 |= 0x40;
        }
        if (bitPointer is >= 0 and <= 7)
        {
            b0 |= (byte)(0x08 | bitPointer);
        }
        return new SenseKeySpecific(b0, (byte)(byteOffset >> 8), (byte)byteOffset);
    }

    /// <summary>
    /// Progress indication (SPC-4 §4.5.2.4.4): how far a long operation (e.g. SANITIZE) has got, as a fraction
    /// of 65536.
    /// </summary>
    public static SenseKeySpecific Progress(ushort fraction) => new(0x80, (byte)(fraction >> 8), (byte)fraction);

    /// <summary>From raw bytes as carried in sense data.</summary>
    public static SenseKeySpecific FromBytes(ReadOnlySpan<byte> bytes) => new(bytes[0], bytes[1], bytes[2]);

    /// <summary>C/D bit: the pointer refers to the CDB.</summary>
    public bool CommandData => (_byte0 & 0x40) != 0;

    /// <summary>The byte offset of a field pointer.</summary>
    public ushort FieldPointerOffset => (ushort)((_byte1 << 8) | _byte2);

    /// <summary>The bit pointer, or -1 when BPV is clear.</summary>
    public int BitPointer => (_byte0 & 0x08) != 0 ? _byte0 & 0x07 : -1;

    public void WriteTo(Span<byte> destination)
    {
        destination[0] = _byte0;
        destination[1] = _byte1;
        destination[2] = _byte2;
    }

    public bool Equals(SenseKeySpecific other) => _byte0 == other._byte0 && _byte1 == other._byte1 && _byte2 == other._byte2;

    public override bool Equals(object? obj) => obj is SenseKeySpecific other && Equals(other);

    public override int GetHashCode() => (_byte0 << 16) | (_byte1 << 8) | _byte2;

    public static bool operator ==(SenseKeySpecific left, SenseKeySpecific right) => left.Equals(right);

    public static bool operator !=(SenseKeySpecific left, SenseKeySpecific right) => !left.Equals(right);
}
