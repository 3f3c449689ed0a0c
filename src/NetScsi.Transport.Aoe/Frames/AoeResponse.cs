namespace NetScsi.Transport.Aoe;

/// <summary>
/// Builds response frames. Every one is padded with zeros to the 60-octet Ethernet minimum: taps and veth do not pad,
/// and aoetools' aoeping drops shorter frames.
/// </summary>
public static class AoeResponse
{
    /// <summary>The shortest frame sent (without FCS).</summary>
    public const int MinimumFrameLength = 60;

    /// <summary>
    /// The most sectors one ATA command may carry in a frame of <paramref name="mtu"/> (the Linux driver's rule:
    /// (MTU - 36) / 512, at most 255 since the Sector Count is one octet); what a Query Config response advertises.
    /// </summary>
    public static byte SectorsPerFrame(int mtu) => (byte)Math.Clamp((mtu - AoeAtaHeader.DataOffset) / 512, 0, byte.MaxValue);

    /// <summary>An ATA response: header, registers, <paramref name="dataLength"/> octets already at <see cref="AoeAtaHeader.DataOffset"/>.</summary>
    /// <returns>The frame's length.</returns>
    public static int WriteAta(Span<byte> frame, in AoeHeader header, in AoeAtaHeader registers, int dataLength)
    {
        header.WriteTo(frame);
        registers.WriteTo(frame[AoeHeader.Length..]);
        return Pad(frame, AoeAtaHeader.DataOffset + dataLength);
    }

    /// <summary>A Query Config response: header, argument (its length field set from the string), string.</summary>
    /// <returns>The frame's length.</returns>
    public static int WriteConfig(Span<byte> frame, in AoeHeader header, in AoeConfigHeader config, ReadOnlySpan<byte> configString)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(configString.Length, AoeConfigHeader.MaxConfigStringLength);
        header.WriteTo(frame);
        (config with { ConfigStringLength = (ushort)configString.Length }).WriteTo(frame[AoeHeader.Length..]);
        configString.CopyTo(frame[(AoeHeader.Length + AoeConfigHeader.Length)..]);
        return Pad(frame, AoeHeader.Length + AoeConfigHeader.Length + configString.Length);
    }

    /// <summary>A refusal: the header alone (its E flag and Error set by <see cref="AoeHeader.ToResponse"/>).</summary>
    /// <returns>The frame's length.</returns>
    public static int WriteHeaderOnly(Span<byte> frame, in AoeHeader header)
    {
        header.WriteTo(frame);
        return Pad(frame, AoeHeader.Length);
    }

    private static int Pad(Span<byte> frame, int length)
    {
        if (length >= MinimumFrameLength)
        {
            return length;
        }

        frame[length..MinimumFrameLength].Clear();
        return MinimumFrameLength;
    }
}
