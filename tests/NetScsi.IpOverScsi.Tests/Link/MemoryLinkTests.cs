using System.Net;
using NetScsi.IpOverScsi.Link;
using NetScsi.IpOverScsi.Routing;
using NetScsi.Iscsi.Initiator;
using NetScsi.Scsi.Emulation;
using NetScsi.Transport.InMemory;

namespace NetScsi.IpOverScsi.Tests.Link;

/// <summary>Two or three hosts' interfaces joined by the in-memory mover: the datagram path without a kernel.</summary>
public sealed class MemoryLinkTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    private sealed class Host : IAsyncDisposable
    {
        public required IpOverScsiInterface Interface { get; init; }

        public required MemoryDatagramPort Port { get; init; }

        public ValueTask DisposeAsync() => Interface.DisposeAsync();
    }

    private static string TargetName(string address) => "iqn.2026-11.org.netscsi:ip-" + address;

    private static PeerOptions Peer(string address, InMemoryDataMover mover, bool known = true) => new()
    {
        Address = known ? IPAddress.Parse(address) : null,
        Session = new IscsiSessionOptions
        {
            Portal = mover.Portal,
            Connector = mover,
            TargetName = TargetName(address),
            InitiatorName = "iqn.2026-11.org.netscsi:ip-test-initiator",
            InlineCompletions = true,
            ReplacementTimeout = TimeSpan.FromSeconds(2),
        },
    };

    private static async Task<Host> StartAsync(
        string address,
        InMemoryDataMover mover,
        IEnumerable<PeerOptions> peers,
        int mtu = ushort.MaxValue,
        MessageQueueFullAction queueFull = MessageQueueFullAction.DropAndCount,
        int receiveQueue = 1024,
        Func<IReadOnlyList<Ipv4Route>>? routes = null)
    {
        var port = new MemoryDatagramPort("scsi-" + address, mtu);
        var options = new IpOverScsiOptions
        {
            TargetName = TargetName(address),
            QueueFullAction = queueFull,
            ReceiveQueueMessages = receiveQueue,
            Routes = routes ?? (() => []),
            LocalAddress = IPAddress.Parse(address),
        };
        options.Listeners.Add(mover);
        foreach (PeerOptions peer in peers)
        {
            options.Peers.Add(peer);
        }
        return new Host { Interface = await IpOverScsiInterface.StartAsync(port, options), Port = port };
    }

    [Fact]
    public async Task Datagram_ToANeighbour_ArrivesWhole_AsOneSendMessage()
    {
        var moverA = new InMemoryDataMover("a");
        var moverB = new InMemoryDataMover("b");
        await using Host b = await StartAsync("10.99.0.2", moverB, [Peer("10.99.0.1", moverA)]);
        await using Host a = await StartAsync("10.99.0.1", moverA, [Peer("10.99.0.2", moverB)]);
        Assert.True(await a.Interface.WaitLinksUpAsync(s_timeout));

        byte[] datagram = MemoryDatagramPort.Ipv4("10.99.0.1", "10.99.0.2", ushort.MaxValue);
        a.Port.Transmit(datagram);

        Assert.Equal(datagram, await b.Port.NextDeliveredAsync(s_timeout));
        Assert.Equal(1, b.Interface.Unit.Counters.MessagesDelivered);
        Assert.Equal(ushort.MaxValue, b.Interface.Unit.Counters.BytesDelivered);
    }

    [Fact]
    public async Task WithoutAReceiveQueue_DatagramsGoStraightToThePort_AndARefusingPortIsAFullQueue()
    {
        var moverA = new InMemoryDataMover("a");
        var moverB = new InMemoryDataMover("b");
        await using Host b = await StartAsync("10.99.0.2", moverB, [], queueFull: MessageQueueFullAction.Busy, receiveQueue: 0);
        await using Host a = await StartAsync("10.99.0.1", moverA, [Peer("10.99.0.2", moverB)]);
        Assert.True(await a.Interface.WaitLinksUpAsync(s_timeout));
        Assert.Null(b.Interface.ReceiveQueue);

        byte[] datagram = MemoryDatagramPort.Ipv4("10.99.0.1", "10.99.0.2", 30000);
        a.Port.Transmit(datagram);
        Assert.Equal(datagram, await b.Port.NextDeliveredAsync(s_timeout));

        b.Port.Refuses = true;
        a.Port.Transmit(MemoryDatagramPort.Ipv4("10.99.0.1", "10.99.0.2", 100, seed: 9));
        await WaitForAsync(() => a.Interface.Links[0].Counters.Busy == 1);
        Assert.Equal(1, b.Interface.Counters.ReceiveDropped);
        Assert.Equal(1, b.Interface.Unit.Counters.QueueFullRefusals);
    }

    [Fact]
    public async Task Datagram_BeyondAGateway_GoesToTheGatewayNeighbour()
    {
        var moverA = new InMemoryDataMover("a");
        var moverB = new InMemoryDataMover("b");
        uint network = NextHopResolver<object>.ToHostOrder(IPAddress.Parse("10.99.2.0"));
        uint mask = NextHopResolver<object>.ToHostOrder(IPAddress.Parse("255.255.255.0"));
        uint gateway = NextHopResolver<object>.ToHostOrder(IPAddress.Parse("10.99.1.2"));
        await using Host b = await StartAsync("10.99.1.2", moverB, []);
        await using Host a = await StartAsync("10.99.1.1", moverA, [Peer("10.99.1.2", moverB)], routes: () => [new Ipv4Route(network, mask, gateway, 0)]);
        Assert.True(await a.Interface.WaitLinksUpAsync(s_timeout));

        byte[] datagram = MemoryDatagramPort.Ipv4("10.99.1.1", "10.99.2.3", 1000);
        a.Port.Transmit(datagram);

        Assert.Equal(datagram, await b.Port.NextDeliveredAsync(s_timeout));
    }

    [Fact]
    public async Task Datagrams_NoNeighbourOwns_OrNotIpv4_AreDroppedAndCounted()
    {
        var moverA = new InMemoryDataMover("a");
        var moverB = new InMemoryDataMover("b");
        await using Host b = await StartAsync("10.99.0.2", moverB, []);
        await using Host a = await StartAsync("10.99.0.1", moverA, [Peer("10.99.0.2", moverB)]);
        Assert.True(await a.Interface.WaitLinksUpAsync(s_timeout));

        a.Port.Transmit(MemoryDatagramPort.Ipv4("10.99.0.1", "10.99.0.9", 100));
        byte[] ipv6 = new byte[60];
        ipv6[0] = 0x60;
        a.Port.Transmit(ipv6);
        a.Port.Transmit(new byte[10]);
        byte[] marker = MemoryDatagramPort.Ipv4("10.99.0.1", "10.99.0.2", 100, seed: 7);
        a.Port.Transmit(marker);

        Assert.Equal(marker, await b.Port.NextDeliveredAsync(s_timeout));
        InterfaceCounters counters = a.Interface.Counters;
        Assert.Equal(1, counters.TransmitUnresolved);
        Assert.Equal(2, counters.TransmitNotIpv4);
        Assert.Equal(1, counters.TransmitDatagrams);
    }

    [Fact]
    public async Task Datagram_LongerThanThePeersMtu_IsRefusedByItsDevice_AndCountedOnBothSides()
    {
        var moverA = new InMemoryDataMover("a");
        var moverB = new InMemoryDataMover("b");
        await using Host b = await StartAsync("10.99.0.2", moverB, [], mtu: 1500);
        await using Host a = await StartAsync("10.99.0.1", moverA, [Peer("10.99.0.2", moverB)]);
        Assert.True(await a.Interface.WaitLinksUpAsync(s_timeout));

        a.Port.Transmit(MemoryDatagramPort.Ipv4("10.99.0.1", "10.99.0.2", 4000));
        byte[] fits = MemoryDatagramPort.Ipv4("10.99.0.1", "10.99.0.2", 1500, seed: 3);
        a.Port.Transmit(fits);

        Assert.Equal(fits, await b.Port.NextDeliveredAsync(s_timeout));
        Assert.Equal(1, b.Interface.Unit.Counters.LengthRefusals);
        await WaitForAsync(() => a.Interface.Links[0].Counters.Rejected == 1);
        await WaitForAsync(() => a.Interface.Links[0].Counters.Sent == 1);
    }

    [Fact]
    public async Task Flood_IntoAStackThatTakesNothing_IsAnsweredBusy_AndTheQueueStaysBounded()
    {
        var moverA = new InMemoryDataMover("a");
        var moverB = new InMemoryDataMover("b");
        await using Host b = await StartAsync("10.99.0.2", moverB, [], queueFull: MessageQueueFullAction.Busy, receiveQueue: 4);
        await using Host a = await StartAsync("10.99.0.1", moverA, [Peer("10.99.0.2", moverB)]);
        Assert.True(await a.Interface.WaitLinksUpAsync(s_timeout));
        b.Port.StackTakes.Reset();

        for (int i = 0; i < 200; i++)
        {
            a.Port.Transmit(MemoryDatagramPort.Ipv4("10.99.0.1", "10.99.0.2", 9000, seed: i));
        }

        await WaitForAsync(() =>
        {
            PeerCounters c = a.Interface.Links[0].Counters;
            return c.Sent + c.Busy + c.DroppedFull == 200;
        });
        PeerCounters counters = a.Interface.Links[0].Counters;
        Assert.True(counters.Busy > 0, $"no BUSY: {counters}");
        Assert.Equal(counters.Busy, b.Interface.Unit.Counters.QueueFullRefusals);
        Assert.True(b.Interface.ReceiveQueue!.Count <= 4);
        // At most the queue plus the one datagram the stalled loop holds were taken.
        Assert.True(counters.Sent <= 5, $"{counters}");
        b.Port.StackTakes.Set();
    }

    [Fact]
    public async Task OnePeerDown_TrafficToTheOthersKeepsFlowing()
    {
        var moverA = new InMemoryDataMover("a");
        var moverB = new InMemoryDataMover("b");
        var nowhere = new InMemoryDataMover("nowhere");
        await using Host b = await StartAsync("10.99.0.2", moverB, []);
        await using Host a = await StartAsync("10.99.0.1", moverA, [Peer("10.99.0.3", nowhere), Peer("10.99.0.2", moverB)]);
        Assert.True(await a.Interface.Links[1].WaitUpAsync(s_timeout));

        for (int i = 0; i < 20; i++)
        {
            a.Port.Transmit(MemoryDatagramPort.Ipv4("10.99.0.1", "10.99.0.3", 1000, seed: i));
            byte[] datagram = MemoryDatagramPort.Ipv4("10.99.0.1", "10.99.0.2", 1000, seed: 100 + i);
            a.Port.Transmit(datagram);
            Assert.Equal(datagram, await b.Port.NextDeliveredAsync(s_timeout));
        }

        Assert.Equal(20, a.Interface.Links[0].Counters.DroppedDown);
        await WaitForAsync(() => a.Interface.Links[1].Counters.Sent == 20);
    }

    [Fact]
    public async Task PeerDown_DatagramsAreDroppedAndCounted_NotQueued()
    {
        var moverA = new InMemoryDataMover("a");
        var nowhere = new InMemoryDataMover("nowhere");
        await using Host a = await StartAsync("10.99.0.1", moverA, [Peer("10.99.0.2", nowhere)]);

        for (int i = 0; i < 10; i++)
        {
            a.Port.Transmit(MemoryDatagramPort.Ipv4("10.99.0.1", "10.99.0.2", 100, seed: i));
        }

        await WaitForAsync(() => a.Interface.Links[0].Counters.DroppedDown == 10);
        Assert.NotEqual(PeerState.Up, a.Interface.Links[0].State);
        Assert.Equal(10, a.Interface.Counters.TransmitLinkDropped);
    }

    [Fact]
    public async Task PeersKnownOnlyByTheirScsiAddress_AreFoundByANeighbourQuery()
    {
        var moverA = new InMemoryDataMover("a");
        var moverB = new InMemoryDataMover("b");
        uint network = NextHopResolver<object>.ToHostOrder(IPAddress.Parse("10.99.0.0"));
        uint mask = NextHopResolver<object>.ToHostOrder(IPAddress.Parse("255.255.255.0"));
        Func<IReadOnlyList<Ipv4Route>> onLink = () => [new Ipv4Route(network, mask, 0, 0)];
        await using Host b = await StartAsync("10.99.0.2", moverB, [Peer("10.99.0.1", moverA, known: false)], routes: onLink);
        await using Host a = await StartAsync("10.99.0.1", moverA, [Peer("10.99.0.2", moverB, known: false)], routes: onLink);
        Assert.True(await a.Interface.WaitLinksUpAsync(s_timeout));
        Assert.True(await b.Interface.WaitLinksUpAsync(s_timeout));

        // The first datagram finds no neighbour: it is dropped, and A asks its peers who has 10.99.0.2.
        a.Port.Transmit(MemoryDatagramPort.Ipv4("10.99.0.1", "10.99.0.2", 100, seed: 1));
        await WaitForAsync(() => a.Interface.Counters.NeighboursLearned == 1);
        byte[] datagram = MemoryDatagramPort.Ipv4("10.99.0.1", "10.99.0.2", 2000, seed: 2);
        a.Port.Transmit(datagram);

        Assert.Equal(datagram, await b.Port.NextDeliveredAsync(s_timeout));
        Assert.Equal(1, a.Interface.Counters.TransmitUnresolved);
        Assert.Equal(1, a.Interface.Counters.QueriesSent);
        Assert.Equal(1, b.Interface.Counters.QueriesAnswered);
        Assert.Equal(1, b.Interface.Counters.NeighboursLearned);
        Assert.Equal(IPAddress.Parse("10.99.0.2"), a.Interface.Links[0].LearnedAddress);
        Assert.Equal(IPAddress.Parse("10.99.0.1"), b.Interface.Links[0].LearnedAddress);
        Assert.Equal(0, b.Port.Delivered);
    }

    internal static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + s_timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20);
        }
    }
}
