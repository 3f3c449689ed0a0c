namespace NetScsi.IpOverScsi.Tests.Networks;

/// <summary>
/// Hosts in network namespaces, each running <c>netscsi ip up</c>: its TUN interface's datagrams travel as SEND
/// MESSAGE(10) over iSCSI (TCP across a veth pair, the "SCSI bus") to the neighbour's communications device.
/// </summary>
[Collection(NetworkCollection.Name)]
public sealed class ScsiNetworkTests
{
    private static string Url(string underlay, string overlay) => $"iscsi://{underlay}:3260/iqn.2026-11.org.netscsi:ip-{overlay}/0";

    private static byte[] RandomBytes(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static Task<CommandResult> PingAsync(TestNetwork network, string ns, string address, int size = 56, int count = 3) =>
        network.ExecAsync(ns, "ping", "-c", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", "0.2", "-W", "2",
            "-s", size.ToString(System.Globalization.CultureInfo.InvariantCulture), address);

    [Fact]
    public async Task TwoHosts_PingBothWays_AndATcpStreamArrivesByteForByte()
    {
        await using TestNetwork network = TestNetwork.Create();
        string a = await network.AddHostAsync("a");
        string b = await network.AddHostAsync("b");
        await network.LinkAsync(a, "10.213.0.1/30", b, "10.213.0.2/30");
        IpUpProcess ipA = await network.IpUpAsync(a, "scsi0", "--address", "10.99.0.1/24", "--listen", "10.213.0.1:3260", "--peer", "10.99.0.2=" + Url("10.213.0.2", "10.99.0.2"));
        // B finds A's target by SendTargets: no IQN in the URL.
        IpUpProcess ipB = await network.IpUpAsync(b, "scsi0", "--address", "10.99.0.2/24", "--listen", "10.213.0.2:3260", "--peer", "10.99.0.1=iscsi://10.213.0.1:3260");
        await ipA.WaitNeighboursUpAsync();
        await ipB.WaitNeighboursUpAsync();

        (await PingAsync(network, a, "10.99.0.2")).AssertSuccess();
        (await PingAsync(network, b, "10.99.0.1")).AssertSuccess();
        // A 65028-byte IP datagram: one SEND MESSAGE(10) each way, never fragmented (RFC 2143 §3).
        (await PingAsync(network, a, "10.99.0.2", size: 65000, count: 2)).AssertSuccess();

        byte[] data = RandomBytes(8 << 20, 1);
        byte[] received = await TcpTransfer.RunAsync(network, a, b, "10.99.0.2", data);

        Assert.Equal(data.Length, received.Length);
        Assert.True(data.AsSpan().SequenceEqual(received), "the stream arrived altered");
        await ipA.WaitForAsync(p => p.Counter("counters", "tx_bytes") >= data.Length, "A's interface counted the stream");
        await ipB.WaitForAsync(p => p.Counter("device", "delivered_bytes") >= data.Length, "B's communications device counted the stream");

        string statusDirectory = Path.GetDirectoryName(ipA.StatusFile)!;
        CommandResult show = await ProcessRunner.RunAsync(ProcessRunner.Dotnet, "exec", ProcessRunner.NetScsiDll, "ip", "show", "--status-dir", statusDirectory);
        show.AssertSuccess();
        Assert.Contains("scsi0: 10.99.0.1/24 mtu 65535", show.Stdout, StringComparison.Ordinal);
        Assert.Contains("neighbour 10.99.0.2 up 10.213.0.2:3260 iqn.2026-11.org.netscsi:ip-10.99.0.2 LUN 0", show.Stdout, StringComparison.Ordinal);
        Assert.Contains("neighbour 10.99.0.1 up 10.213.0.1:3260 iqn.2026-11.org.netscsi:ip-10.99.0.1 LUN 0", show.Stdout, StringComparison.Ordinal);
        CommandResult json = await ProcessRunner.RunAsync(ProcessRunner.Dotnet, "exec", ProcessRunner.NetScsiDll, "ip", "show", "--json", "--status-dir", statusDirectory);
        using (var document = System.Text.Json.JsonDocument.Parse(json.AssertSuccess().Stdout))
        {
            Assert.Equal(2, document.RootElement.GetArrayLength());
        }
        CommandResult missing = await ProcessRunner.RunAsync(ProcessRunner.Dotnet, "exec", ProcessRunner.NetScsiDll, "ip", "show", "nosuch0", "--status-dir", statusDirectory);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no interface 'nosuch0' is up", missing.Stderr, StringComparison.Ordinal);

        Assert.Equal(0, await ipA.StopAsync());
        Assert.False(File.Exists(ipA.StatusFile), "ip up removes its state file when it stops");
        Assert.NotEqual(0, (await network.ExecAsync(a, "ip", "link", "show", "scsi0")).ExitCode);
    }

    [Fact]
    public async Task TwoHosts_Largest64KiBUdpDatagramsEchoWhole_AndAnIperf3TcpRunCompletes()
    {
        await using TestNetwork network = TestNetwork.Create();
        string a = await network.AddHostAsync("a");
        string b = await network.AddHostAsync("b");
        await network.LinkAsync(a, "10.213.0.1/30", b, "10.213.0.2/30");
        IpUpProcess ipA = await network.IpUpAsync(a, "scsi0", "--address", "10.99.0.1/24", "--listen", "10.213.0.1:3260", "--peer", "10.99.0.2=" + Url("10.213.0.2", "10.99.0.2"));
        IpUpProcess ipB = await network.IpUpAsync(b, "scsi0", "--address", "10.99.0.2/24", "--listen", "10.213.0.2:3260", "--peer", "10.99.0.1=" + Url("10.213.0.1", "10.99.0.1"));
        await ipA.WaitNeighboursUpAsync();
        await ipB.WaitNeighboursUpAsync();

        // 65507 bytes: the largest UDP payload of an IPv4 datagram (65535 - 20 - 8), one SEND MESSAGE(10) each way.
        const string Echo = """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("10.99.0.2", 7007))
            s.settimeout(30)
            for i in range(5):
                data, peer = s.recvfrom(65535)
                s.sendto(data, peer)
            """;
        const string Send = """
            import random, socket, sys, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(2)
            ok = 0
            for i in range(5):
                payload = random.Random(i).randbytes(65507)
                for attempt in range(20):
                    s.sendto(payload, ("10.99.0.2", 7007))
                    try:
                        back, _ = s.recvfrom(65535)
                    except socket.timeout:
                        continue
                    if back != payload:
                        sys.exit(f"datagram {i} came back altered ({len(back)} bytes)")
                    ok += 1
                    break
            print(ok)
            """;
        Task<CommandResult> echo = network.ExecAsync(b, "python3", "-c", Echo);
        CommandResult sent = (await network.ExecAsync(a, "python3", "-c", Send)).AssertSuccess();
        Assert.Equal("5", sent.Stdout.Trim());
        (await echo).AssertSuccess();

        Task<CommandResult> server = network.ExecAsync(b, "iperf3", "-s", "-1", "-B", "10.99.0.2");
        await Task.Delay(500);
        CommandResult client = (await network.ExecAsync(a, "iperf3", "-c", "10.99.0.2", "-t", "2", "-J")).AssertSuccess();
        (await server).AssertSuccess();
        using var report = System.Text.Json.JsonDocument.Parse(client.Stdout);
        double received = report.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bytes").GetDouble();
        Assert.True(received > 1 << 20, $"iperf3 moved only {received} bytes");
        await ipB.WaitForAsync(p => p.Counter("device", "delivered_bytes") >= (long)received, "B's device took the iperf3 stream");
    }

    [Fact]
    public async Task TwoHosts_OverTheEthernetMover_PingBothWays_And64KiBDatagramsAndATcpStreamArriveWhole()
    {
        await using TestNetwork network = TestNetwork.Create();
        string a = await network.AddHostAsync("a");
        string b = await network.AddHostAsync("b");
        // A bare segment at MTU 9000: no IP under the SCSI traffic, only iSCSI in raw Ethernet frames (docs/ethernet.md).
        const string MacA = "02:00:5e:10:00:01";
        const string MacB = "02:00:5e:10:00:02";
        (string ifA, string ifB) = await network.LinkEthernetAsync(a, MacA, b, MacB, 9000);
        IpUpProcess ipA = await network.IpUpAsync(a, "scsi0", "--address", "10.99.0.1/24", "--listen", "eth:" + ifA,
            "--peer", $"10.99.0.2=eth://{ifA}/{MacB}/iqn.2026-11.org.netscsi:ip-10.99.0.2/0");
        // B names A's MAC only: SendTargets over the Ethernet mover finds A's target.
        IpUpProcess ipB = await network.IpUpAsync(b, "scsi0", "--address", "10.99.0.2/24", "--listen", "eth:" + ifB,
            "--peer", $"10.99.0.1=eth://{ifB}/{MacA}");
        await ipA.WaitNeighboursUpAsync();
        await ipB.WaitNeighboursUpAsync();

        (await PingAsync(network, a, "10.99.0.2")).AssertSuccess();
        (await PingAsync(network, b, "10.99.0.1")).AssertSuccess();
        // A 65028-byte IP datagram in one SEND MESSAGE(10): the mover splits the PDU into frames, not IP.
        (await PingAsync(network, a, "10.99.0.2", size: 65000, count: 2)).AssertSuccess();
        byte[] data = RandomBytes(4 << 20, 3);
        byte[] received = await TcpTransfer.RunAsync(network, a, b, "10.99.0.2", data);

        Assert.True(data.AsSpan().SequenceEqual(received), $"the stream arrived altered ({received.Length} of {data.Length} bytes)");
        await ipB.WaitForAsync(p => p.Counter("device", "delivered_bytes") >= data.Length, "B's communications device counted the stream");
        CommandResult show = await ProcessRunner.RunAsync(ProcessRunner.Dotnet, "exec", ProcessRunner.NetScsiDll, "ip", "show", "--status-dir", Path.GetDirectoryName(ipA.StatusFile)!);
        Assert.Contains($"neighbour 10.99.0.2 up eth:{ifA}/{MacB} iqn.2026-11.org.netscsi:ip-10.99.0.2 LUN 0", show.AssertSuccess().Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PeersGivenOnlyTheirScsiAddress_FindEachOther_AndPing()
    {
        await using TestNetwork network = TestNetwork.Create();
        string a = await network.AddHostAsync("a");
        string b = await network.AddHostAsync("b");
        await network.LinkAsync(a, "10.213.0.1/30", b, "10.213.0.2/30");
        IpUpProcess ipA = await network.IpUpAsync(a, "scsi0", "--address", "10.99.0.1/24", "--listen", "10.213.0.1:3260", "--peer", "iscsi://10.213.0.2:3260");
        IpUpProcess ipB = await network.IpUpAsync(b, "scsi0", "--address", "10.99.0.2/24", "--listen", "10.213.0.2:3260", "--peer", "iscsi://10.213.0.1:3260");
        await ipA.WaitNeighboursUpAsync();
        await ipB.WaitNeighboursUpAsync();

        // The first echo request waits on the neighbour query and is lost; ping exits 0 when any reply came.
        (await PingAsync(network, a, "10.99.0.2", count: 4)).AssertSuccess();
        (await PingAsync(network, b, "10.99.0.1", count: 3)).AssertSuccess();

        await ipA.WaitForAsync(p => p.Status()?.GetProperty("neighbours")[0].GetProperty("address").GetString() == "10.99.0.2", "A learned B's address");
        Assert.True(ipB.Counter("counters", "queries_answered") >= 1);
    }

    [Fact]
    public async Task ThreeHostLine_TheMiddleHostIsAGatewayBetweenTwoScsiNetworks()
    {
        await using TestNetwork network = TestNetwork.Create();
        string a = await network.AddHostAsync("a");
        string b = await network.AddHostAsync("b");
        string c = await network.AddHostAsync("c");
        // Two SCSI buses: A-B and B-C. A and C share none.
        await network.LinkAsync(a, "10.213.0.1/30", b, "10.213.0.2/30");
        await network.LinkAsync(b, "10.213.0.5/30", c, "10.213.0.6/30");
        IpUpProcess ipA = await network.IpUpAsync(a, "scsi0", "--address", "10.99.1.1/24", "--listen", "10.213.0.1:3260", "--peer", "10.99.1.2=" + Url("10.213.0.2", "10.99.1.2"));
        IpUpProcess ipB1 = await network.IpUpAsync(b, "scsi0", "--address", "10.99.1.2/24", "--listen", "10.213.0.2:3260", "--peer", "10.99.1.1=" + Url("10.213.0.1", "10.99.1.1"));
        IpUpProcess ipB2 = await network.IpUpAsync(b, "scsi1", "--address", "10.99.2.1/24", "--listen", "10.213.0.5:3260", "--peer", "10.99.2.2=" + Url("10.213.0.6", "10.99.2.2"));
        IpUpProcess ipC = await network.IpUpAsync(c, "scsi0", "--address", "10.99.2.2/24", "--listen", "10.213.0.6:3260", "--peer", "10.99.2.1=" + Url("10.213.0.5", "10.99.2.1"));
        // RFC 2143 §5: the multi-homed host is an ordinary IP gateway; routes are plain kernel routes.
        await network.ExecAsync(b, "sysctl", "-qw", "net.ipv4.ip_forward=1").AssertSuccessAsync();
        await network.ExecAsync(a, "ip", "route", "add", "10.99.2.0/24", "via", "10.99.1.2", "dev", "scsi0").AssertSuccessAsync();
        await network.ExecAsync(c, "ip", "route", "add", "10.99.1.0/24", "via", "10.99.2.1", "dev", "scsi0").AssertSuccessAsync();
        foreach (IpUpProcess p in new[] { ipA, ipB1, ipB2, ipC })
        {
            await p.WaitNeighboursUpAsync();
        }

        Assert.Contains("dev scsi0", (await network.ExecAsync(a, "ip", "route", "get", "10.99.2.2").AssertSuccessAsync()).Stdout);
        (await PingAsync(network, a, "10.99.2.2")).AssertSuccess();
        (await PingAsync(network, c, "10.99.1.1")).AssertSuccess();
        (await PingAsync(network, a, "10.99.2.2", size: 65000, count: 2)).AssertSuccess();
        CommandResult trace = await network.ExecAsync(a, "ping", "-c", "1", "-t", "1", "-W", "2", "10.99.2.2");
        Assert.Contains("10.99.1.2", trace.Stdout + trace.Stderr);

        byte[] data = RandomBytes(4 << 20, 2);
        byte[] received = await TcpTransfer.RunAsync(network, a, c, "10.99.2.2", data);

        Assert.True(data.AsSpan().SequenceEqual(received), $"the stream through the gateway arrived altered ({received.Length} of {data.Length} bytes)");
        await ipB1.WaitForAsync(p => p.Counter("counters", "rx_bytes") >= data.Length, "the gateway received the stream on its first SCSI network");
        await ipB2.WaitForAsync(p => p.Counter("counters", "tx_bytes") >= data.Length, "the gateway sent it on over its second");
    }

    [Fact]
    public async Task PeerKilledAndRestarted_TrafficResumes()
    {
        await using TestNetwork network = TestNetwork.Create();
        string a = await network.AddHostAsync("a");
        string b = await network.AddHostAsync("b");
        await network.LinkAsync(a, "10.213.0.1/30", b, "10.213.0.2/30");
        string[] argsB = ["scsi0", "--address", "10.99.0.2/24", "--listen", "10.213.0.2:3260", "--peer", "10.99.0.1=" + Url("10.213.0.1", "10.99.0.1")];
        IpUpProcess ipA = await network.IpUpAsync(a, "scsi0", "--address", "10.99.0.1/24", "--listen", "10.213.0.1:3260", "--peer", "10.99.0.2=" + Url("10.213.0.2", "10.99.0.2"));
        IpUpProcess ipB = await network.IpUpAsync(b, argsB);
        await ipA.WaitNeighboursUpAsync();
        (await PingAsync(network, a, "10.99.0.2")).AssertSuccess();

        await ipB.KillAsync();
        Assert.NotEqual(0, (await PingAsync(network, a, "10.99.0.2", count: 2)).ExitCode);
        await network.IpUpAsync(b, argsB);

        await ipA.WaitForAsync(p => p.NeighbourCounter(0, "connects") >= 2 || p.Status()?.GetProperty("neighbours")[0].GetProperty("state").GetString() == "up", "A's link came back", TimeSpan.FromSeconds(30));
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await PingAsync(network, a, "10.99.0.2", count: 1)).ExitCode != 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"traffic did not resume\n{ipA.Output}");
        }
        (await PingAsync(network, a, "10.99.0.2")).AssertSuccess();
    }

    [Fact]
    public async Task DatagramLongerThanThePeersMtu_IsRefusedByItsDevice_SmallerOnesPass()
    {
        await using TestNetwork network = TestNetwork.Create();
        string a = await network.AddHostAsync("a");
        string b = await network.AddHostAsync("b");
        await network.LinkAsync(a, "10.213.0.1/30", b, "10.213.0.2/30");
        IpUpProcess ipA = await network.IpUpAsync(a, "scsi0", "--address", "10.99.0.1/24", "--listen", "10.213.0.1:3260", "--peer", "10.99.0.2=" + Url("10.213.0.2", "10.99.0.2"));
        IpUpProcess ipB = await network.IpUpAsync(b, "scsi0", "--address", "10.99.0.2/24", "--mtu", "1500", "--listen", "10.213.0.2:3260", "--peer", "10.99.0.1=" + Url("10.213.0.1", "10.99.0.1"));
        await ipA.WaitNeighboursUpAsync();
        await ipB.WaitNeighboursUpAsync();

        Assert.NotEqual(0, (await PingAsync(network, a, "10.99.0.2", size: 4000, count: 2)).ExitCode);
        (await PingAsync(network, a, "10.99.0.2", size: 1000)).AssertSuccess();

        await ipA.WaitForAsync(p => p.NeighbourCounter(0, "rejected") >= 2, "A counted the refusals");
        await ipB.WaitForAsync(p => p.Counter("device", "length_refusals") >= 2, "B's device refused the long datagrams");
    }

    [Fact]
    public async Task Flood_IntoAOneDatagramQueue_IsAnsweredBusy_AndTheLinkKeepsWorking()
    {
        await using TestNetwork network = TestNetwork.Create();
        string a = await network.AddHostAsync("a");
        string b = await network.AddHostAsync("b");
        await network.LinkAsync(a, "10.213.0.1/30", b, "10.213.0.2/30");
        IpUpProcess ipA = await network.IpUpAsync(a, "scsi0", "--address", "10.99.0.1/24", "--listen", "10.213.0.1:3260", "--peer", "10.99.0.2=" + Url("10.213.0.2", "10.99.0.2"));
        IpUpProcess ipB = await network.IpUpAsync(b, "scsi0", "--address", "10.99.0.2/24", "--listen", "10.213.0.2:3260", "--queue-full", "busy", "--receive-queue", "1",
            "--peer", "10.99.0.1=" + Url("10.213.0.1", "10.99.0.1"));
        await ipA.WaitNeighboursUpAsync();

        const string Blast = """
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            payload = bytes(30000)
            for i in range(3000):
                try:
                    s.sendto(payload, ("10.99.0.2", 9))
                except OSError:
                    pass
            """;
        for (int round = 0; round < 10 && ipB.Counter("device", "queue_full_refusals") <= 0; round++)
        {
            (await network.ExecAsync(a, "python3", "-c", Blast)).AssertSuccess();
            await Task.Delay(1200);
        }

        await ipB.WaitForAsync(p => p.Counter("device", "queue_full_refusals") > 0, "B's device answered BUSY");
        await ipA.WaitForAsync(p => p.NeighbourCounter(0, "busy") > 0, "A's link counted BUSY");
        Assert.False(ipB.HasExited);
        (await PingAsync(network, a, "10.99.0.2")).AssertSuccess();
    }
}
