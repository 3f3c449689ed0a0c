using System.Buffers;
using System.Collections;
using System.Text;

namespace NetScsi.Iscsi.Text;

/// <summary>
/// An ordered list of iSCSI text <c>key=value</c> pairs with the wire codec (RFC 7143 §6.1):
/// UTF-8, every pair terminated by a NUL byte, case-sensitive keys.
/// </summary>
/// <remarks>
/// The list itself allows repeated keys because responses need them (SendTargets answers repeat
/// <c>TargetName</c>/<c>TargetAddress</c>, RFC 7143 §13.3); <see cref="TryParse"/> rejects them unless told otherwise.
/// </remarks>
public sealed class TextKeyValues : IReadOnlyList<TextKeyValue>
{
    /// <summary>RFC 7143 §6.1: key names MUST NOT exceed 63 bytes.</summary>
    public const int MaxKeyLength = 63;

    /// <summary>
    /// Largest value the parser accepts. RFC 7143 §6.1 bounds simple values at 255 bytes unless a key
    /// says otherwise; binary values (CHAP_C, CHAP_R) and lists may be longer. Per-key limits are
    /// enforced by <see cref="TextKeyTable"/>; this is only the codec's memory bound.
    /// </summary>
    public const int DefaultMaxValueLength = 8192;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly List<TextKeyValue> _pairs;

    public TextKeyValues() => _pairs = new List<TextKeyValue>();

    public TextKeyValues(IEnumerable<TextKeyValue> pairs)
    {
        _pairs = new List<TextKeyValue>();
        foreach (TextKeyValue pair in pairs)
        {
            Add(pair.Key, pair.Value);
        }
    }

    public int Count => _pairs.Count;

    public TextKeyValue this[int index] => _pairs[index];

    /// <summary>Appends a pair. The key must be a valid key name and the value must not contain NUL.</summary>
    public void Add(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (!IsValidKey(key))
        {
            throw new ArgumentException($"'{key}' is not a valid iSCSI key name (RFC 7143 §6.1).", nameof(key));
        }

        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("An iSCSI text value must not contain NUL.", nameof(value));
        }

        _pairs.Add(new TextKeyValue(key, value));
    }

    /// <summary>Replaces the value of the pair at <paramref name="index"/>.</summary>
    internal void SetValueAt(int index, string value) => _pairs[index] = _pairs[index] with { Value = value };

    /// <summary>Value of the first pair with this key (case-sensitive, RFC 7143 §6.1).</summary>
    public bool TryGetValue(string key, out string value)
    {
        foreach (TextKeyValue pair in _pairs)
        {
            if (string.Equals(pair.Key, key, StringComparison.Ordinal))
            {
                value = pair.Value;
                return true;
            }
        }

        value = "";
        return false;
    }

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    public IEnumerator<TextKeyValue> GetEnumerator() => _pairs.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Bytes <see cref="Encode"/> writes.</summary>
    public int GetEncodedLength()
    {
        int length = 0;
        foreach (TextKeyValue pair in _pairs)
        {
            length += Encoding.UTF8.GetByteCount(pair.Key) + 1 + Encoding.UTF8.GetByteCount(pair.Value) + 1;
        }

        return length;
    }

    /// <summary>Writes every pair as <c>key=value\0</c>.</summary>
    public void Encode(IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        foreach (TextKeyValue pair in _pairs)
        {
            int length = Encoding.UTF8.GetByteCount(pair.Key) + 1 + Encoding.UTF8.GetByteCount(pair.Value) + 1;
            Span<byte> span = writer.GetSpan(length);
            int written = Encoding.UTF8.GetBytes(pair.Key, span);
            span[written++] = (byte)'=';
            written += Encoding.UTF8.GetBytes(pair.Value, span[written..]);
            span[written++] = 0;
            writer.Advance(written);
        }
    }

    public byte[] ToArray()
    {
        var writer = new ArrayBufferWriter<byte>(Math.Max(1, GetEncodedLength()));
        Encode(writer);
        return writer.WrittenSpan.ToArray();
    }

    public override string ToString() => string.Join(" ", _pairs);

    /// <summary>
    /// Parses a complete text data segment. Empty entries (runs of NUL, e.g. padding some peers add) are skipped.
    /// </summary>
    /// <param name="data">The whole text (after C-bit accumulation).</param>
    /// <param name="result">The pairs in wire order; empty on failure.</param>
    /// <param name="status">Why parsing failed.</param>
    /// <param name="allowDuplicateKeys">True when parsing responses that legitimately repeat keys.</param>
    /// <param name="maxValueLength">Largest value in bytes.</param>
    public static bool TryParse(
        ReadOnlySpan<byte> data,
        out TextKeyValues result,
        out TextParseStatus status,
        bool allowDuplicateKeys = false,
        int maxValueLength = DefaultMaxValueLength)
    {
        result = new TextKeyValues();
        HashSet<string>? seen = allowDuplicateKeys ? null : new HashSet<string>(StringComparer.Ordinal);
        ReadOnlySpan<byte> rest = data;
        while (!rest.IsEmpty)
        {
            int end = rest.IndexOf((byte)0);
            if (end < 0)
            {
                // RFC 7143 §6.1: every key=value pair, including the last one, is followed by a NUL.
                status = TextParseStatus.NotTerminated;
                result = new TextKeyValues();
                return false;
            }

            ReadOnlySpan<byte> entry = rest[..end];
            rest = rest[(end + 1)..];
            if (entry.IsEmpty)
            {
                continue;
            }

            status = ParsePair(entry, maxValueLength, out string key, out string value);
            if (status == TextParseStatus.Ok && seen is not null && !seen.Add(key))
            {
                status = TextParseStatus.DuplicateKey;
            }

            if (status != TextParseStatus.Ok)
            {
                result = new TextKeyValues();
                return false;
            }

            result._pairs.Add(new TextKeyValue(key, value));
        }

        status = TextParseStatus.Ok;
        return true;
    }

    private static TextParseStatus ParsePair(ReadOnlySpan<byte> entry, int maxValueLength, out string key, out string value)
    {
        key = "";
        value = "";
        int eq = entry.IndexOf((byte)'=');
        if (eq < 0)
        {
            return TextParseStatus.MissingEquals;
        }

        if (eq == 0)
        {
            return TextParseStatus.EmptyKey;
        }

        if (eq > MaxKeyLength)
        {
            return TextParseStatus.KeyTooLong;
        }

        ReadOnlySpan<byte> keyBytes = entry[..eq];
        foreach (byte b in keyBytes)
        {
            if (!IsKeyChar((char)b))
            {
                return TextParseStatus.InvalidKey;
            }
        }

        ReadOnlySpan<byte> valueBytes = entry[(eq + 1)..];
        if (valueBytes.Length > maxValueLength)
        {
            return TextParseStatus.ValueTooLong;
        }

        key = Encoding.ASCII.GetString(keyBytes);
        try
        {
            value = s_strictUtf8.GetString(valueBytes);
        }
        catch (DecoderFallbackException)
        {
            return TextParseStatus.InvalidUtf8;
        }

        return TextParseStatus.Ok;
    }

    /// <summary>
    /// RFC 7143 §6.1: a key-name consists of letters, digits, '.', '-', '+', '@', '_' (and '#' in the
    /// public-extension prefix "X#", §13.22), at most 63 bytes.
    /// </summary>
    public static bool IsValidKey(string key)
    {
        if (key.Length == 0 || key.Length > MaxKeyLength)
        {
            return false;
        }

        foreach (char c in key)
        {
            if (!IsKeyChar(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsKeyChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '+' or '@' or '_' or '#';
}
