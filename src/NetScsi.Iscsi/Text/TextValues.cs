using System.Globalization;

namespace NetScsi.Iscsi.Text;

/// <summary>Value encodings of RFC 7143 §6.1 and the reserved answers of §6.2.</summary>
public static class TextValues
{
    public const string Yes = "Yes";
    public const string No = "No";

    /// <summary>RFC 7143 §6.2: the responder does not know the key.</summary>
    public const string NotUnderstood = "NotUnderstood";

    /// <summary>RFC 7143 §6.2: the key does not apply in this context.</summary>
    public const string Irrelevant = "Irrelevant";

    /// <summary>RFC 7143 §6.2: the offered value is invalid or not acceptable.</summary>
    public const string Reject = "Reject";

    /// <summary>True for the answers NotUnderstood, Irrelevant and Reject.</summary>
    public static bool IsReservedAnswer(string value) =>
        value is NotUnderstood or Irrelevant or Reject;

    /// <summary>RFC 7143 §6.1: boolean-value is exactly "Yes" or "No".</summary>
    public static bool TryParseBoolean(string value, out bool result)
    {
        switch (value)
        {
            case Yes:
                result = true;
                return true;
            case No:
                result = false;
                return true;
            default:
                result = false;
                return false;
        }
    }

    public static string FormatBoolean(bool value) => value ? Yes : No;

    /// <summary>
    /// RFC 7143 §6.1: numerical values are unsigned, in decimal or as a hex-constant (0x); no sign,
    /// no spaces. (Base64 numbers are legal but unused by any peer we know; they are rejected.)
    /// </summary>
    public static bool TryParseNumber(string value, out ulong result)
    {
        result = 0;
        if (value.Length == 0)
        {
            return false;
        }

        if (value.Length > 2 && value[0] == '0' && (value[1] == 'x' || value[1] == 'X'))
        {
            ReadOnlySpan<char> hex = value.AsSpan(2);
            foreach (char c in hex)
            {
                if (!char.IsAsciiHexDigit(c))
                {
                    return false;
                }
            }

            return ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out result);
        }

        foreach (char c in value)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out result);
    }

    /// <summary>
    /// RFC 7143 §6.1: binary values as hex-constant ("0x" + hex digits) or base64-constant ("0b" + base64).
    /// An odd number of hex digits is taken as if a leading zero were present.
    /// </summary>
    public static bool TryParseBinary(string value, out byte[] result)
    {
        result = [];
        if (value.Length < 3 || value[0] != '0')
        {
            return false;
        }

        if (value[1] is 'x' or 'X')
        {
            ReadOnlySpan<char> hex = value.AsSpan(2);
            foreach (char c in hex)
            {
                if (!char.IsAsciiHexDigit(c))
                {
                    return false;
                }
            }

            string even = (hex.Length & 1) == 1 ? "0" + hex.ToString() : hex.ToString();
            result = Convert.FromHexString(even);
            return true;
        }

        if (value[1] is 'b' or 'B')
        {
            byte[] buffer = new byte[(value.Length - 2) * 3 / 4 + 3];
            if (Convert.TryFromBase64String(value[2..], buffer, out int written) && written > 0)
            {
                result = buffer.AsSpan(0, written).ToArray();
                return true;
            }

            return false;
        }

        return false;
    }

    /// <summary>Hex-constant encoding, lower case ("0x0a1b...").</summary>
    public static string FormatHex(ReadOnlySpan<byte> bytes) => "0x" + Convert.ToHexStringLower(bytes);

    /// <summary>RFC 7143 §6.1: list-of-values is comma-separated; empty items are invalid.</summary>
    public static bool TrySplitList(string value, out string[] items)
    {
        items = value.Split(',');
        foreach (string item in items)
        {
            if (item.Length == 0)
            {
                items = [];
                return false;
            }
        }

        return true;
    }
}
