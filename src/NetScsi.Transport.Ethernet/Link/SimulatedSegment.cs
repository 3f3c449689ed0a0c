using System.Collections.Concurrent;

namespace NetScsi.Transport.Ethernet;

/// <summary>
/// An Ethernet segment inside the process: ports with MAC addresses that deliver frames to one another (unicast by
/// destination, group addresses to all), optionally dropping a seeded share of them. For tests and benchmarks where
/// no packet socket is wanted (no root, no namespaces); each frame sent is copied, so it allocates.
/// </summary>
internal sealed class SimulatedSegment
{
    private readonly ConcurrentDictionary<MacAddress, Port> _ports = new();
    private readonly Random _random;
    private readonly Lock _randomLock = new();
    private ulong _nextAddress = 0x02_00_00_00_00_01;

    public SimulatedSegment(int mtu = 1500, int seed = 1)
    {
        Mtu = mtu;
        _random = new Random(seed);
    }

    public int Mtu { get; }

    /// <summary>The share of frames lost on the way (0 to 1).</summary>
    public double DropRate { get; set; }

    /// <summary>Frames lost so far.</summary>
    public long Dropped;

    /// <summary>A new port with the next locally administered MAC address.</summary>
    public IFrameLink CreatePort(string name)
    {
        var port = new Port(this, name, new MacAddress(Interlocked.Increment(ref _nextAddress)));
        _ports[port.Address] = port;
        return port;
    }

    private void Deliver(MacAddress source, ReadOnlySpan<byte> frame)
    {
        if (!EthernetHeader.TryRead(frame, out EthernetHeader header))
        {
            return;
        }

        if (DropRate > 0)
        {
            lock (_randomLock)
            {
                if (_random.NextDouble() < DropRate)
                {
                    Interlocked.Increment(ref Dropped);
                    return;
                }
            }
        }

        if (header.Destination.IsGroup)
        {
            foreach (Port port in _ports.Values)
            {
                if (port.Address != source)
                {
                    port.Enqueue(frame);
                }
            }
        }
        else if (_ports.TryGetValue(header.Destination, out Port? port))
        {
            port.Enqueue(frame);
        }
    }

    private sealed class Port(SimulatedSegment segment, string name, MacAddress address) : IFrameLink
    {
        private readonly ConcurrentQueue<byte[]> _inbox = new();
        private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
        private bool _disposed;

        public string Name { get; } = name;

        public MacAddress Address { get; } = address;

        public int Mtu => segment.Mtu;

        public void Enqueue(ReadOnlySpan<byte> frame)
        {
            if (!_disposed)
            {
                _inbox.Enqueue(frame.ToArray());
                _signal.Release();
            }
        }

        public void Receive(FrameBatch batch)
        {
            int count = 0;
            while (count < batch.Capacity && _inbox.TryDequeue(out byte[]? frame))
            {
                int length = Math.Min(frame.Length, batch.FrameSize);
                frame.AsSpan(0, length).CopyTo(batch.Slot(count));
                batch.SetLength(count, length);
                count++;
            }

            batch.Count = count;
        }

        public void Send(FrameBatch batch)
        {
            for (int i = 0; i < batch.Count; i++)
            {
                segment.Deliver(Address, batch.Frame(i));
            }

            batch.Count = 0;
        }

        public void Wait(int timeoutMilliseconds)
        {
            if (_inbox.IsEmpty)
            {
                _signal.Wait(timeoutMilliseconds);
            }

            // Many releases may have piled up: the inbox itself says what is there.
            while (_signal.CurrentCount > 0 && _signal.Wait(0))
            {
            }
        }

        public void Wake() => _signal.Release();

        public void Dispose()
        {
            _disposed = true;
            segment._ports.TryRemove(Address, out _);
            _signal.Release();
        }
    }
}
