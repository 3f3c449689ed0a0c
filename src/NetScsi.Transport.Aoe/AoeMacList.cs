using NetScsi.Transport.Ethernet;

namespace NetScsi.Transport.Aoe;

/// <summary>
/// A slot's MAC Mask List or reserve list (AoE r11 §5, §6): a small set of initiator addresses; empty means everyone.
/// Reads on the I/O path take a lock and allocate nothing; edits are rare control operations.
/// </summary>
public sealed class AoeMacList
{
    private readonly Lock _lock = new();
    private readonly MacAddress[] _addresses;
    private int _count;

    public AoeMacList(int capacity, IEnumerable<MacAddress>? initial = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, byte.MaxValue);
        _addresses = new MacAddress[capacity];
        foreach (MacAddress address in initial ?? [])
        {
            if (!TryAdd(address))
            {
                throw new ArgumentException($"more than {capacity} addresses", nameof(initial));
            }
        }
    }

    public int Capacity => _addresses.Length;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>True when the list is empty or holds <paramref name="address"/>.</summary>
    public bool Admits(MacAddress address)
    {
        lock (_lock)
        {
            return _count == 0 || IndexOf(address) >= 0;
        }
    }

    /// <summary>True when the list holds <paramref name="address"/>.</summary>
    public bool Contains(MacAddress address)
    {
        lock (_lock)
        {
            return IndexOf(address) >= 0;
        }
    }

    /// <summary>Adds the address (already there: true); false when the list is full.</summary>
    public bool TryAdd(MacAddress address)
    {
        lock (_lock)
        {
            if (IndexOf(address) >= 0)
            {
                return true;
            }

            if (_count == _addresses.Length)
            {
                return false;
            }

            _addresses[_count++] = address;
            return true;
        }
    }

    public void Remove(MacAddress address)
    {
        lock (_lock)
        {
            int i = IndexOf(address);
            if (i >= 0)
            {
                _addresses[i] = _addresses[--_count];
            }
        }
    }

    /// <summary>Replaces the list with the addresses in <paramref name="packed"/> (6 octets each); false, unchanged, when too many.</summary>
    public bool TryReplace(ReadOnlySpan<byte> packed)
    {
        int count = packed.Length / MacAddress.Length;
        if (count > _addresses.Length)
        {
            return false;
        }

        lock (_lock)
        {
            _count = 0;
            for (int i = 0; i < count; i++)
            {
                MacAddress address = MacAddress.Read(packed[(i * MacAddress.Length)..]);
                if (IndexOf(address) < 0)
                {
                    _addresses[_count++] = address;
                }
            }

            return true;
        }
    }

    /// <summary>
    /// Replaces the list as <see cref="TryReplace"/> does unless it is not empty and <paramref name="requester"/> is not on it.
    /// </summary>
    public bool TryReplaceAs(MacAddress requester, ReadOnlySpan<byte> packed, out bool tooMany)
    {
        lock (_lock)
        {
            tooMany = false;
            if (_count > 0 && IndexOf(requester) < 0)
            {
                return false;
            }

            tooMany = !TryReplace(packed);
            return !tooMany;
        }
    }

    /// <summary>Copies the addresses to <paramref name="destination"/> (6 octets each, at most what fits); returns how many.</summary>
    public int CopyTo(Span<byte> destination, int stride = MacAddress.Length, int offset = 0)
    {
        lock (_lock)
        {
            int n = Math.Min(_count, (destination.Length - offset + stride - MacAddress.Length) / stride);
            for (int i = 0; i < n; i++)
            {
                _addresses[i].WriteTo(destination[((i * stride) + offset)..]);
            }

            return Math.Max(n, 0);
        }
    }

    /// <summary>A snapshot, for logs and tests.</summary>
    public MacAddress[] ToArray()
    {
        lock (_lock)
        {
            return _addresses.AsSpan(0, _count).ToArray();
        }
    }

    private int IndexOf(MacAddress address)
    {
        for (int i = 0; i < _count; i++)
        {
            if (_addresses[i] == address)
            {
                return i;
            }
        }

        return -1;
    }
}
