using System.Buffers.Binary;
using System.Net;
using System.Threading.Channels;

namespace NetScsi.IpOverScsi.Tests.Link;

/// <summary>An <see cref="IDatagramPort"/> in memory: the test plays the IP stack on both sides of it.</summary>
internal sealed class MemoryDatagramPort : IDatagramPort
{
    private readonly Channel<byte[]> _fromStack = Channel.CreateUnbounded<byte[]>();
    private readonly Channel<byte[]> _toStack = Channel.CreateUnbounded<byte[]>();

    public MemoryDatagramPort(string name, int mtu = ushort.MaxValue)
    {
        Name = name;
        Mtu = mtu;
    }

    public string Name { get; }

    public int Mtu { get; }

    /// <summary>While reset, <see cref="TrySend"/> blocks: a stack that takes nothing, so the receive queue fills.</summary>
    public ManualResetEventSlim StackTakes { get; } = new(true);

    /// <summary>The stack sends a datagram (it comes out of <see cref="Receive"/>).</summary>
    public void Transmit(byte[] datagram) => _fromStack.Writer.TryWrite(datagram);

    /// <summary>The next datagram the link handed to the stack.</summary>
    public async Task<byte[]> NextDeliveredAsync(TimeSpan timeout) =>
        await _toStack.Reader.ReadAsync().AsTask().WaitAsync(timeout);

    public int Delivered => _toStack.Reader.Count;

    public int Receive(Span<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_fromStack.Reader.TryRead(out byte[]? datagram))
            {
                datagram.CopyTo(buffer);
                return datagram.Length;
            }
            _fromStack.Reader.WaitToReadAsync(cancellationToken).AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>While set, <see cref="TrySend"/> refuses at once (a stack whose backlog is full).</summary>
    public bool Refuses { get; set; }

    public bool TrySend(ReadOnlySpan<byte> datagram)
    {
        if (Refuses)
        {
            return false;
        }
        StackTakes.Wait();
        return _toStack.Writer.TryWrite(datagram.ToArray());
    }

    public void Dispose()
    {
        StackTakes.Set();
        _fromStack.Writer.TryComplete();
    }

    /// <summary>An IPv4 datagram of <paramref name="length"/> bytes to <paramref name="destination"/>, its payload random.</summary>
    public static byte[] Ipv4(string source, string destination, int length, int seed = 1)
    {
        byte[] datagram = new byte[length];
        new Random(seed).NextBytes(datagram);
        datagram[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(2), (ushort)length);
        IPAddress.Parse(source).TryWriteBytes(datagram.AsSpan(12), out _);
        IPAddress.Parse(destination).TryWriteBytes(datagram.AsSpan(16), out _);
        return datagram;
    }
}
