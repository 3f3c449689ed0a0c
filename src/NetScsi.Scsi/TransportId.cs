using System.Buffers.Binary;

namespace NetScsi.Scsi;

/// <summary>
/// A TransportID (SPC-4 §7.6.4): how a SCSI transport protocol names an initiator port, or an initiator device,
/// in persistent reservation data. The bytes are in the canonical form the transport's
/// <see cref="ITransportIdCodec"/> produces, so two TransportIDs name the same initiator exactly when their bytes
/// are equal. Immutable.
/// </summary>
public sealed class TransportId : IEquatable<TransportId>
{
    /// <summary>SPC-4 §7.6.4.1: every TransportID is at least 24 bytes long.</summary>
    public const int MinimumLength = 24;

    /// <summary>Byte 0 bits 3-0: PROTOCOL IDENTIFIER (SPC-4 §7.6.1).</summary>
    public const byte ProtocolIdentifierMask = 0x0F;

    /// <summary>Byte 0 bits 7-6: FORMAT CODE.</summary>
    public const int FormatCodeShift = 6;

    /// <summary>Bytes 2-3 of the TransportIDs of variable length: ADDITIONAL LENGTH (SPC-4 §7.6.4.6).</summary>
    public const int AdditionalLengthOffset = 2;

    private readonly byte[] _bytes;
    private readonly int _hash;

    /// <summary>Copies a TransportID that is already in its protocol's canonical form.</summary>
    public TransportId(ReadOnlySpan<byte> canonical)
    {
        if (canonical.Length < MinimumLength)
        {
            throw new ArgumentException($"A TransportID is at least {MinimumLength} bytes (SPC-4 §7.6.4.1).", nameof(canonical));
        }
        _bytes = canonical.ToArray();
        var hash = new HashCode();
        hash.AddBytes(_bytes);
        _hash = hash.ToHashCode();
    }

    /// <summary>PROTOCOL IDENTIFIER (SPC-4 §7.6.1): which transport protocol the TransportID belongs to.</summary>
    public int ProtocolIdentifier => _bytes[0] & ProtocolIdentifierMask;

    /// <summary>FORMAT CODE: the protocol's choice among its TransportID forms.</summary>
    public int FormatCode => _bytes[0] >> FormatCodeShift;

    /// <summary>The TransportID as it goes on the wire.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>Its length in bytes.</summary>
    public int Length => _bytes.Length;

    /// <summary>Writes the TransportID at the start of <paramref name="destination"/>; returns its length.</summary>
    public int CopyTo(Span<byte> destination)
    {
        _bytes.CopyTo(destination);
        return _bytes.Length;
    }

    /// <summary>The ADDITIONAL LENGTH field of a variable-length TransportID (bytes 2-3).</summary>
    public static int ReadAdditionalLength(ReadOnlySpan<byte> transportId) =>
        BinaryPrimitives.ReadUInt16BigEndian(transportId[AdditionalLengthOffset..]);

    /// <inheritdoc/>
    public bool Equals(TransportId? other) =>
        other is not null && (ReferenceEquals(this, other) || (_hash == other._hash && _bytes.AsSpan().SequenceEqual(other._bytes)));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is TransportId other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _hash;

    /// <summary>The bytes in hexadecimal (the transport's codec gives a readable form: <see cref="ITransportIdCodec.Format"/>).</summary>
    public override string ToString() => Convert.ToHexString(_bytes);
}
