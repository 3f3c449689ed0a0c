using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;

namespace NetScsi.IpOverScsi.Routing;

/// <summary>
/// RFC 2143 §4's job for one interface: which SCSI peer gets a datagram. The destination itself when it is a
/// neighbour (a host on this SCSI network, from the neighbour table); otherwise the gateway of the kernel's route to
/// it through this interface, when that gateway is a neighbour; otherwise nobody (the datagram is dropped and
/// counted). Answers are cached per destination for <see cref="CacheLifetime"/>, so a route change takes effect
/// within that time without a read of the route table per datagram. One caller at a time (the interface's
/// transmit loop).
/// </summary>
/// <typeparam name="TNeighbour">What a neighbour is to the caller (its link).</typeparam>
public sealed class NextHopResolver<TNeighbour>
    where TNeighbour : class
{
    /// <summary>How long a resolved (or unresolved) destination is remembered.</summary>
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(1);

    private const int MaxCached = 4096;

    /// <summary>224.0.0.0: class D (multicast) and E, and the limited broadcast, from here up.</summary>
    private const uint MulticastStart = 0xE000_0000;

    private readonly Dictionary<uint, TNeighbour> _neighbours = new();
    private readonly Dictionary<uint, (TNeighbour? Neighbour, uint NextHop, long Expires)> _cache = new();
    private readonly ConcurrentQueue<(uint Address, TNeighbour Neighbour)> _learned = new();
    private readonly Func<IReadOnlyList<Ipv4Route>> _readRoutes;
    private readonly TimeProvider _time;
    private IReadOnlyList<Ipv4Route> _routes = [];
    private long _routesExpire;

    /// <param name="readRoutes">Reads the kernel's routes through the interface (<see cref="KernelRouteTable.Read"/>).</param>
    /// <param name="time">The clock of the cache.</param>
    public NextHopResolver(Func<IReadOnlyList<Ipv4Route>> readRoutes, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(readRoutes);
        _readRoutes = readRoutes;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The neighbours: IPv4 address (host byte order) → neighbour.</summary>
    public IReadOnlyDictionary<uint, TNeighbour> Neighbours => _neighbours;

    /// <summary>Adds a static neighbour (RFC 2143 §4 leaves how the table is filled open to the implementation).</summary>
    /// <exception cref="ArgumentException">Not IPv4, or already a neighbour.</exception>
    public void AddNeighbour(IPAddress address, TNeighbour neighbour)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(neighbour);
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"{address} is not an IPv4 address.", nameof(address));
        }
        if (!_neighbours.TryAdd(ToHostOrder(address), neighbour))
        {
            throw new ArgumentException($"{address} is already a neighbour.", nameof(address));
        }
        _cache.Clear();
    }

    /// <summary>
    /// Adds a neighbour a neighbour query found; safe from any thread, applied by the next <see cref="Resolve(uint)"/>.
    /// An address already in the table keeps its neighbour.
    /// </summary>
    public void Learn(uint address, TNeighbour neighbour)
    {
        ArgumentNullException.ThrowIfNull(neighbour);
        _learned.Enqueue((address, neighbour));
    }

    /// <summary>The neighbour that takes a datagram for <paramref name="destination"/> (host byte order), or null.</summary>
    public TNeighbour? Resolve(uint destination) => Resolve(destination, out _);

    /// <summary>
    /// The neighbour that takes a datagram for <paramref name="destination"/>, or null; <paramref name="nextHop"/> is
    /// the on-link address it goes to (the destination, or its route's gateway), 0 when no route through the
    /// interface covers it: the address a neighbour query would ask for.
    /// </summary>
    public TNeighbour? Resolve(uint destination, out uint nextHop)
    {
        while (_learned.TryDequeue(out var learned))
        {
            if (_neighbours.TryAdd(learned.Address, learned.Neighbour))
            {
                _cache.Clear();
            }
        }
        nextHop = destination;
        if (_neighbours.TryGetValue(destination, out TNeighbour? direct))
        {
            return direct;
        }
        long now = _time.GetTimestamp();
        if (_cache.TryGetValue(destination, out var cached) && cached.Expires > now)
        {
            nextHop = cached.NextHop;
            return cached.Neighbour;
        }
        if (_routesExpire <= now)
        {
            _routes = _readRoutes();
            _routesExpire = now + (long)(CacheLifetime.TotalSeconds * _time.TimestampFrequency);
        }
        TNeighbour? neighbour = null;
        if (KernelRouteTable.Lookup(_routes, destination) is not Ipv4Route route
            || destination >= MulticastStart
            || (route.Gateway == 0 && route.Mask != uint.MaxValue && (destination | route.Mask) == uint.MaxValue))
        {
            // No route, or multicast / broadcast (RFC 2143: no broadcast on a SCSI network): nobody to ask for it.
            nextHop = 0;
        }
        else if (route.Gateway != 0)
        {
            nextHop = route.Gateway;
            _neighbours.TryGetValue(route.Gateway, out neighbour);
        }
        if (_cache.Count >= MaxCached)
        {
            // Bounded whatever destinations the stack sends to: start over rather than grow.
            _cache.Clear();
        }
        _cache[destination] = (neighbour, nextHop, now + (long)(CacheLifetime.TotalSeconds * _time.TimestampFrequency));
        return neighbour;
    }

    /// <summary>An IPv4 address as a host-order integer.</summary>
    public static uint ToHostOrder(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        if (!address.TryWriteBytes(bytes, out int written) || written != 4)
        {
            throw new ArgumentException($"{address} is not an IPv4 address.", nameof(address));
        }
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    /// <summary>The address of a host-order integer.</summary>
    public static IPAddress ToAddress(uint hostOrder)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, hostOrder);
        return new IPAddress(bytes);
    }
}
