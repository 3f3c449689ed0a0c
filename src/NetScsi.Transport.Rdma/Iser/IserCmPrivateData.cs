namespace NetScsi.Transport.Rdma.Iser;

/// <summary>
/// The iSER CM header in the private data of an InfiniBand/RoCE connect request and accept (RFC 7145's annex for
/// InfiniBand, iSER CM REQ/REP): one flags byte and three reserved. It replaces the Hello exchange there. The kernel
/// initiator connects with <see cref="ZeroBasedVirtualAddressNotSupported"/>; a target that answers
/// <see cref="SendWithInvalidateNotSupported"/> as well gets plain SENDs, never Send with Invalidate. Pure codec.
/// </summary>
public readonly record struct IserCmPrivateData(byte Flags)
{
    /// <summary>Bytes of the header.</summary>
    public const int Length = 4;

    /// <summary>The sender does not use zero-based virtual addresses: base offsets are virtual addresses.</summary>
    public const byte ZeroBasedVirtualAddressNotSupported = 0x80;

    /// <summary>The sender does not want Send with Invalidate (the peer invalidates its own STags).</summary>
    public const byte SendWithInvalidateNotSupported = 0x40;

    public bool ZeroBasedVirtualAddresses => (Flags & ZeroBasedVirtualAddressNotSupported) == 0;

    public bool SendWithInvalidate => (Flags & SendWithInvalidateNotSupported) == 0;

    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException($"The iSER CM header needs {Length} bytes.", nameof(destination));
        }

        destination[0] = Flags;
        destination[1] = 0;
        destination[2] = 0;
        destination[3] = 0;
    }

    /// <summary>Decodes private data; shorter data (a peer that sent none) is <see cref="IserReadStatus.TooShort"/>.</summary>
    public static IserReadStatus TryRead(ReadOnlySpan<byte> source, out IserCmPrivateData data)
    {
        data = default;
        if (source.Length < Length)
        {
            return IserReadStatus.TooShort;
        }

        data = new IserCmPrivateData(source[0]);
        return IserReadStatus.Ok;
    }
}
