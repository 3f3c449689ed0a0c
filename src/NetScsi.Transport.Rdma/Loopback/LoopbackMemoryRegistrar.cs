using NetScsi.Transport.Rdma.Memory;

namespace NetScsi.Transport.Rdma.Loopback;

/// <summary>
/// The fake's protection domain: remembers each registration by key, so the loopback queue pairs check every local
/// and remote access against it as a device would (an STag outside its registration is a remote access error).
/// </summary>
public sealed class LoopbackMemoryRegistrar : IRdmaMemoryRegistrar
{
    private readonly Lock _lock = new();
    private readonly Dictionary<uint, (nint Address, nuint Length)> _regions = [];
    private uint _nextKey;

    internal LoopbackMemoryRegistrar(uint keyBase) => _nextKey = keyBase;

    /// <summary>Registrations not yet deregistered (a torn-down connection must leave none).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _regions.Count;
            }
        }
    }

    public RdmaMemoryRegion Register(nint address, nuint length)
    {
        lock (_lock)
        {
            uint key = ++_nextKey;
            _regions.Add(key, (address, length));
            return new RdmaMemoryRegion((nint)key, key, key);
        }
    }

    public void Deregister(RdmaMemoryRegion region)
    {
        lock (_lock)
        {
            if (!_regions.Remove(region.LocalKey))
            {
                throw new IOException($"Memory region {region.LocalKey} is not registered.");
            }
        }
    }

    /// <summary>Whether [address, address + length) lies inside the registration with this key.</summary>
    internal bool Covers(uint key, ulong address, int length)
    {
        lock (_lock)
        {
            return _regions.TryGetValue(key, out var region)
                && length >= 0
                && address >= (ulong)region.Address
                && address + (ulong)length <= (ulong)region.Address + region.Length;
        }
    }
}
