namespace NetScsi.Transport.Aoe;

/// <summary>
/// A slot's config string and what Query Config Information does with it (AoE r11 §4.1): read, exact test, prefix test,
/// set (only while empty or to the same string), force set. No I/O; the target builds the response with
/// <see cref="AoeResponse.WriteConfig"/> from <see cref="CopyTo"/>.
/// </summary>
/// <remarks>
/// A target that does not match a test stays silent, so an initiator can find the slots whose string it knows. Set
/// and force set are rare control operations: a lock orders them against readers, so a response never carries half a
/// string.
/// </remarks>
public sealed class AoeConfigString
{
    private readonly Lock _lock = new();
    private readonly byte[] _value = new byte[AoeConfigHeader.MaxConfigStringLength];
    private int _length;

    public AoeConfigString(ReadOnlySpan<byte> initial = default)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(initial.Length, AoeConfigHeader.MaxConfigStringLength);
        initial.CopyTo(_value);
        _length = initial.Length;
    }

    /// <summary>The string's current length.</summary>
    public int Length
    {
        get
        {
            lock (_lock)
            {
                return _length;
            }
        }
    }

    /// <summary>
    /// Applies a request's CCmd to the string. Returns false when the target must not answer (a test that does not
    /// match); otherwise true with <paramref name="error"/> set for the response (<see cref="AoeError.ConfigStringPresent"/>
    /// for a set against a different string, <see cref="AoeError.BadArgument"/> for an undefined CCmd), and the string
    /// as it now is copied into <paramref name="current"/> (at least 1024 octets), its length in <paramref name="currentLength"/>.
    /// </summary>
    public bool Apply(AoeConfigCommand command, ReadOnlySpan<byte> requestString, Span<byte> current, out int currentLength, out AoeError error)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(current.Length, AoeConfigHeader.MaxConfigStringLength);
        error = AoeError.None;
        currentLength = 0;
        if (requestString.Length > AoeConfigHeader.MaxConfigStringLength)
        {
            error = AoeError.BadArgument;
        }

        lock (_lock)
        {
            ReadOnlySpan<byte> value = _value.AsSpan(0, _length);
            if (error == AoeError.None)
            {
                switch (command)
                {
                    case AoeConfigCommand.Read:
                        break;
                    case AoeConfigCommand.Test:
                        if (!requestString.SequenceEqual(value))
                        {
                            return false;
                        }

                        break;
                    case AoeConfigCommand.TestPrefix:
                        if (!value.StartsWith(requestString))
                        {
                            return false;
                        }

                        break;
                    case AoeConfigCommand.Set:
                        if (_length == 0)
                        {
                            Store(requestString);
                        }
                        else if (!requestString.SequenceEqual(value))
                        {
                            error = AoeError.ConfigStringPresent;
                        }

                        break;
                    case AoeConfigCommand.ForceSet:
                        Store(requestString);
                        break;
                    default:
                        error = AoeError.BadArgument;
                        break;
                }
            }

            _value.AsSpan(0, _length).CopyTo(current);
            currentLength = _length;
            return true;
        }
    }

    /// <summary>Copies the current string into <paramref name="destination"/> (at least 1024 octets) and returns its length.</summary>
    public int CopyTo(Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, AoeConfigHeader.MaxConfigStringLength);
        lock (_lock)
        {
            _value.AsSpan(0, _length).CopyTo(destination);
            return _length;
        }
    }

    private void Store(ReadOnlySpan<byte> value)
    {
        value.CopyTo(_value);
        _length = value.Length;
    }
}
