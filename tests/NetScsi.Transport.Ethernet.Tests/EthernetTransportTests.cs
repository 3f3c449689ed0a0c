using System.IO.Pipelines;

namespace NetScsi.Transport.Ethernet.Tests;

/// <summary>The transport's endpoints and connections over a simulated segment: pipes, handshakes, hostile frames.</summary>
public sealed class EthernetTransportTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task<byte[]> ReadAllAsync(PipeReader reader, int length)
    {
        var received = new MemoryStream();
        while (received.Length < length)
        {
            ReadResult result = await reader.ReadAsync().AsTask().WaitAsync(Timeout);
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
            {
                received.Write(segment.Span);
            }

            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        return received.ToArray();
    }

    private static async Task WriteAllAsync(PipeWriter writer, byte[] data)
    {
        for (int offset = 0; offset < data.Length; offset += 10_000)
        {
            await writer.WriteAsync(data.AsMemory(offset, Math.Min(10_000, data.Length - offset)));
        }
    }

    private sealed class Pair : IAsyncDisposable
    {
        public required SimulatedSegment Segment { get; init; }
        public required EthernetTransport TargetSide { get; init; }
        public required EthernetTransport InitiatorSide { get; init; }
        public required EthernetEndpoint TargetEndpoint { get; init; }
        public required EthernetConnection Initiator { get; init; }
        public required EthernetConnection Target { get; init; }

        public ValueTask DisposeAsync()
        {
            InitiatorSide.Dispose();
            TargetSide.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private static async Task<Pair> ConnectAsync(int mtu = 1500, double drop = 0)
    {
        var segment = new SimulatedSegment(mtu) { DropRate = drop };
        var targetSide = new EthernetTransport(segment.CreatePort, new EthernetTransportOptions { WindowFrames = 64 });
        var initiatorSide = new EthernetTransport(segment.CreatePort, new EthernetTransportOptions { WindowFrames = 64 });
        EthernetEndpoint endpoint = targetSide.GetEndpoint("t0");
        endpoint.StartListening();
        ValueTask<EthernetConnection?> accept = endpoint.AcceptAsync(CancellationToken.None);
        EthernetConnection initiator = await initiatorSide.GetEndpoint("i0").ConnectAsync(endpoint.Address, CancellationToken.None).WaitAsync(Timeout);
        EthernetConnection target = (await accept.AsTask().WaitAsync(Timeout))!;
        return new Pair { Segment = segment, TargetSide = targetSide, InitiatorSide = initiatorSide, TargetEndpoint = endpoint, Initiator = initiator, Target = target };
    }

    [Theory]
    [InlineData(1500, 0.0)]
    [InlineData(9000, 0.0)]
    [InlineData(1500, 0.02)]
    public async Task Connection_CarriesMegabytesBothWays_ByteForByte(int mtu, double drop)
    {
        await using Pair pair = await ConnectAsync(mtu, drop);
        byte[] up = Pattern(3_000_000, 1);
        byte[] down = Pattern(2_000_000, 2);
        Task writeUp = WriteAllAsync(pair.Initiator.Pipe.Output, up);
        Task writeDown = WriteAllAsync(pair.Target.Pipe.Output, down);
        Task<byte[]> readUp = ReadAllAsync(pair.Target.Pipe.Input, up.Length);
        Task<byte[]> readDown = ReadAllAsync(pair.Initiator.Pipe.Input, down.Length);
        await Task.WhenAll(writeUp, writeDown).WaitAsync(Timeout);
        Assert.Equal(up, await readUp);
        Assert.Equal(down, await readDown);
        Assert.Equal(mtu - FrameHeader.Length, pair.TargetEndpoint.ConnectionOptions.MaxPayload);
    }

    [Fact]
    public async Task OrderlyClose_DeliversEverything_ThenEndOfStream()
    {
        await using Pair pair = await ConnectAsync();
        byte[] up = Pattern(500_000, 3);
        await WriteAllAsync(pair.Initiator.Pipe.Output, up);
        Task<byte[]> read = ReadAllAsync(pair.Target.Pipe.Input, int.MaxValue);
        await pair.Initiator.CloseAsync(Timeout);
        Assert.Equal(up, await read.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Abort_EndsThePeersInput_AndBothConnections()
    {
        await using Pair pair = await ConnectAsync();
        pair.Initiator.Abort();
        Assert.Empty(await ReadAllAsync(pair.Target.Pipe.Input, 1));
        Assert.True(pair.Target.Reliable.ResetByPeer);
        await pair.Initiator.Ended.WaitAsync(Timeout);
        await pair.Target.Ended.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Connect_WhereNothingListens_IsRefusedAtOnce()
    {
        var segment = new SimulatedSegment();
        using var a = new EthernetTransport(segment.CreatePort);
        using var b = new EthernetTransport(segment.CreatePort);
        EthernetEndpoint silent = b.GetEndpoint("b0");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<IOException>(() => a.GetEndpoint("a0").ConnectAsync(silent.Address, CancellationToken.None).WaitAsync(Timeout));
        Assert.Contains("nothing listens there", error.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
        Assert.Equal(1, silent.Counters.NoListener);
    }

    [Fact]
    public async Task Connect_ToAStationThatNeverAnswers_FailsAfterTheConnectTimeout()
    {
        var segment = new SimulatedSegment();
        using var b = new EthernetTransport(segment.CreatePort);
        EthernetEndpoint silent = b.GetEndpoint("b0");
        silent.Dispose();
        var options = new EthernetTransportOptions { ConnectionOptions = new ReliableConnectionOptions { ConnectTimeout = TimeSpan.FromMilliseconds(500) } };
        using var c = new EthernetTransport(segment.CreatePort, options);
        var error = await Assert.ThrowsAsync<IOException>(() => c.GetEndpoint("c0").ConnectAsync(silent.Address, CancellationToken.None).WaitAsync(Timeout));
        Assert.Contains("handshake", error.Message);
    }

    [Fact]
    public async Task HostileFrames_AreDroppedAndCounted_AndTheConnectionKeepsServing()
    {
        await using Pair pair = await ConnectAsync();
        IFrameLink attacker = pair.Segment.CreatePort("evil");
        var batch = new FrameBatch(8, 1514);
        var random = new Random(7);
        MacAddress target = pair.TargetEndpoint.Address;
        uint liveId = pair.Target.Reliable.LocalId;
        uint peerId = pair.Target.PeerId;

        void Send(Action<Span<byte>> fill, int length, MacAddress? source = null)
        {
            Span<byte> slot = batch.Slot(0);
            slot.Clear();
            fill(slot);
            if (source is { } spoofed)
            {
                spoofed.WriteTo(slot[MacAddress.Length..]);
            }

            batch.SetLength(0, length);
            batch.Count = 1;
            attacker.Send(batch);
        }

        void Header(Span<byte> slot, FrameHeader header, MacAddress source)
        {
            new EthernetHeader(target, source, EthernetHeader.NetScsiEtherType).WriteTo(slot);
            header.WriteTo(slot[EthernetHeader.Length..]);
        }

        var data = new FrameHeader { Flags = FrameFlags.Ack, PayloadLength = 16, DestinationConnectionId = liveId, SourceConnectionId = peerId };
        // Truncated, random, oversize length, wrong version.
        Send(s => new EthernetHeader(target, attacker.Address, EthernetHeader.NetScsiEtherType).WriteTo(s), EthernetHeader.Length + 10);
        for (int i = 0; i < 200; i++)
        {
            Send(s => { new EthernetHeader(target, attacker.Address, EthernetHeader.NetScsiEtherType).WriteTo(s); random.NextBytes(s[EthernetHeader.Length..100]); }, 100);
        }

        Send(s => Header(s, data with { PayloadLength = 1400 }, attacker.Address), 100);
        // Wrong connection id, right source; right connection id from another MAC; right MAC spoofed with a wrong source id.
        Send(s => Header(s, data with { DestinationConnectionId = liveId ^ 0x5A5A5A5A }, attacker.Address), 100);
        Send(s => Header(s, data, attacker.Address), 100);
        Send(s => Header(s, data with { SourceConnectionId = peerId ^ 1 }, pair.Initiator.Endpoint.Address), 100, pair.Initiator.Endpoint.Address);
        // Spoofed source and ids, sequence number far outside the window: reaches the connection, which drops it.
        Send(s => Header(s, data with { Sequence = 0x7000_0000 }, pair.Initiator.Endpoint.Address), 100, pair.Initiator.Endpoint.Address);

        byte[] up = Pattern(200_000, 9);
        await WriteAllAsync(pair.Initiator.Pipe.Output, up);
        Assert.Equal(up, await ReadAllAsync(pair.Target.Pipe.Input, up.Length));
        EthernetEndpointCounters counters = pair.TargetEndpoint.Counters;
        Assert.True(counters.Malformed >= 2, $"malformed {counters.Malformed}");
        Assert.True(counters.UnknownConnection >= 1);
        Assert.True(counters.WrongSource >= 2);
        Assert.True(counters.Total >= 190, $"total {counters.Total}");
        Assert.Equal(1, pair.TargetEndpoint.ConnectionCount);
    }

    [Fact]
    public async Task SynFlood_IsBoundedToAFewHalfOpenConnections_AndTheListenerKeepsAccepting()
    {
        await using Pair pair = await ConnectAsync();
        IFrameLink attacker = pair.Segment.CreatePort("flood");
        var batch = new FrameBatch(8, 1514);
        for (uint i = 1; i <= 500; i++)
        {
            Span<byte> slot = batch.Slot(0);
            slot.Clear();
            new EthernetHeader(pair.TargetEndpoint.Address, attacker.Address, EthernetHeader.NetScsiEtherType).WriteTo(slot);
            new FrameHeader { Flags = FrameFlags.Syn, SourceConnectionId = i, Sequence = i * 7, Window = 65536 }.WriteTo(slot[EthernetHeader.Length..]);
            batch.SetLength(0, EthernetHeader.MinimumFrameLength);
            batch.Count = 1;
            attacker.Send(batch);
        }

        var deadline = DateTime.UtcNow + Timeout;
        while (pair.TargetEndpoint.Counters.NoListener < 500 - 32 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.InRange(pair.TargetEndpoint.ConnectionCount, 1, 1 + 32);
        Assert.Equal(500 - 32, pair.TargetEndpoint.Counters.NoListener);

        // The live connection keeps serving (the half-open ones expire after the connect timeout).
        byte[] up = Pattern(100_000, 11);
        await WriteAllAsync(pair.Initiator.Pipe.Output, up);
        Assert.Equal(up, await ReadAllAsync(pair.Target.Pipe.Input, up.Length));
    }

    [Fact]
    public async Task Discovery_FindsEveryListeningStation_AndNoOther()
    {
        var segment = new SimulatedSegment();
        using var first = new EthernetTransport(segment.CreatePort);
        using var second = new EthernetTransport(segment.CreatePort);
        using var quiet = new EthernetTransport(segment.CreatePort);
        using var asking = new EthernetTransport(segment.CreatePort);
        EthernetEndpoint a = first.GetEndpoint("a0");
        EthernetEndpoint b = second.GetEndpoint("b0");
        a.StartListening();
        b.StartListening();
        quiet.GetEndpoint("q0");

        IReadOnlyList<EthernetPortal> found = await asking.DiscoverAsync("i0", TimeSpan.FromMilliseconds(400));
        Assert.Equal(new[] { a.Address, b.Address }.OrderBy(m => m.Value), found.Select(p => p.Peer!.Value));
        Assert.All(found, p => Assert.Equal("i0", p.Interface));
    }

    [Fact]
    public async Task ManyConnections_ShareOneInterface_AndKeepTheirBytesApart()
    {
        var segment = new SimulatedSegment();
        using var targetSide = new EthernetTransport(segment.CreatePort, new EthernetTransportOptions { WindowFrames = 32 });
        using var initiatorSide = new EthernetTransport(segment.CreatePort, new EthernetTransportOptions { WindowFrames = 32 });
        EthernetEndpoint endpoint = targetSide.GetEndpoint("t0");
        endpoint.StartListening();
        EthernetEndpoint local = initiatorSide.GetEndpoint("i0");
        var pairs = new List<(EthernetConnection Initiator, EthernetConnection Target)>();
        for (int i = 0; i < 8; i++)
        {
            ValueTask<EthernetConnection?> accept = endpoint.AcceptAsync(CancellationToken.None);
            EthernetConnection initiator = await local.ConnectAsync(endpoint.Address, CancellationToken.None).WaitAsync(Timeout);
            pairs.Add((initiator, (await accept.AsTask().WaitAsync(Timeout))!));
        }

        var checks = pairs.Select(async (p, i) =>
        {
            byte[] data = Pattern(300_000, 100 + i);
            Task write = WriteAllAsync(p.Initiator.Pipe.Output, data);
            Assert.Equal(data, await ReadAllAsync(p.Target.Pipe.Input, data.Length));
            await write;
        });
        await Task.WhenAll(checks).WaitAsync(Timeout);
    }
}
