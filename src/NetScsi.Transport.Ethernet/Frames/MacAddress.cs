using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace NetScsi.Transport.Ethernet;

/// <summary>A 48-bit IEEE 802 MAC address, held in the low 48 bits of a <see cref="ulong"/> (no allocation to compare or copy).</summary>
public readonly record struct MacAddress
{
    /// <summary>The length of a MAC address on the wire.</summary>
    public const int Length = 6;

    private const ulong Mask = 0xFFFF_FFFF_FFFFUL;

    public MacAddress(ulong value)
    {
        Value = value & Mask;
    }

    /// <summary>The address, first octet in bits 40..47.</summary>
    public ulong Value { get; }

    /// <summary>ff:ff:ff:ff:ff:ff.</summary>
    public static MacAddress Broadcast => new(Mask);

    /// <summary>True for a group (multicast or broadcast) address: the least significant bit of the first octet.</summary>
    public bool IsGroup => (Value & 0x0100_0000_0000UL) != 0;

    public bool IsZero => Value == 0;

    public static MacAddress Read(ReadOnlySpan<byte> source) =>
        new(((ulong)BinaryPrimitives.ReadUInt16BigEndian(source) << 32) | BinaryPrimitives.ReadUInt32BigEndian(source[2..]));

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(Value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)Value);
    }

    /// <summary>Lower-case, colon-separated: <c>02:00:5e:10:00:01</c>.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Length];
        WriteTo(bytes);
        return string.Create(CultureInfo.InvariantCulture, $"{bytes[0]:x2}:{bytes[1]:x2}:{bytes[2]:x2}:{bytes[3]:x2}:{bytes[4]:x2}:{bytes[5]:x2}");
    }

    /// <summary>Parses six hexadecimal octets separated by ':' or '-' (<c>02:00:5e:10:00:01</c>), or twelve hex digits.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out MacAddress address)
    {
        address = default;
        if (text is null)
        {
            return false;
        }

        ReadOnlySpan<char> s = text.AsSpan().Trim();
        ulong value = 0;
        if (s.Length == 12)
        {
            if (!ulong.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value))
            {
                return false;
            }

            address = new MacAddress(value);
            return true;
        }

        if (s.Length != 17)
        {
            return false;
        }

        char separator = s[2];
        if (separator is not (':' or '-'))
        {
            return false;
        }

        for (int i = 0; i < Length; i++)
        {
            ReadOnlySpan<char> octet = s.Slice(i * 3, 2);
            if ((i < Length - 1 && s[(i * 3) + 2] != separator)
                || !byte.TryParse(octet, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
            {
                return false;
            }

            value = (value << 8) | b;
        }

        address = new MacAddress(value);
        return true;
    }
}
