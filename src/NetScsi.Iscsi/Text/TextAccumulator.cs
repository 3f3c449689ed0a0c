using System.Buffers;

namespace NetScsi.Iscsi.Text;

/// <summary>What <see cref="TextAccumulator.Append"/> concluded.</summary>
public enum TextAccumulateResult
{
    /// <summary>The C bit was set: more PDUs follow; answer with an empty response.</summary>
    NeedMore,

    /// <summary>The text is complete: read it with <see cref="TextAccumulator.Take"/>.</summary>
    Complete,

    /// <summary>The total exceeds the bound; the exchange must fail.</summary>
    TooLarge,
}

/// <summary>
/// Joins the data segments of Login/Text requests sent with the C (continue) bit into one text
/// (RFC 7143 §11.10.2, §11.12.2: a key=value pair may be split across PDUs). Memory stays bounded.
/// </summary>
public sealed class TextAccumulator
{
    /// <summary>RFC 7143 §6.1 requires at least 8192 bytes per negotiation sequence; we allow 64 KiB.</summary>
    public const int DefaultMaxLength = 64 * 1024;

    private readonly int _maxLength;
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public TextAccumulator(int maxLength = DefaultMaxLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        _maxLength = maxLength;
    }

    /// <summary>Bytes held so far.</summary>
    public int Length => _buffer.WrittenCount;

    /// <summary>True when an earlier PDU had C=1 and the text is not complete yet.</summary>
    public bool IsPending { get; private set; }

    public TextAccumulateResult Append(ReadOnlySpan<byte> data, bool continueBit)
    {
        if (_buffer.WrittenCount + data.Length > _maxLength)
        {
            Reset();
            return TextAccumulateResult.TooLarge;
        }

        _buffer.Write(data);
        IsPending = continueBit;
        return continueBit ? TextAccumulateResult.NeedMore : TextAccumulateResult.Complete;
    }

    /// <summary>The complete text, copied; the accumulator is reset.</summary>
    public byte[] Take()
    {
        byte[] text = _buffer.WrittenSpan.ToArray();
        Reset();
        return text;
    }

    public void Reset()
    {
        _buffer.Clear();
        IsPending = false;
    }
}
