using System.IO.Pipelines;

namespace NetScsi.Transport.Ethernet.Tests;

/// <summary>The AF_PACKET link on a real veth pair (root, as in CI): MTU and MAC read from the kernel, data across.</summary>
public sealed class PacketSocketLinkTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Open_ReadsTheInterfacesMtuAndMac()
    {
        using VethPair veth = VethPair.Create(mtu: 9000);
        using PacketSocketLink link = PacketSocketLink.Open(veth.First, 16);
        Assert.Equal(9000, link.Mtu);
        Assert.Equal(veth.MacOf(veth.First, null), link.Address.ToString());
    }

    [Fact]
    public void Open_OnAMissingInterface_SaysSo()
    {
        var error = Assert.Throws<EthernetLinkException>(() => PacketSocketLink.Open("nse-missing0", 16));
        Assert.Contains("no network interface 'nse-missing0'", error.Message);
    }

    [Theory]
    [InlineData(1500)]
    [InlineData(9000)]
    [InlineData(65535)]
    public async Task Connection_OverVeth_CarriesMegabytesBothWays(int mtu)
    {
        using VethPair veth = VethPair.Create(mtu);
        using var targetSide = new EthernetTransport();
        using var initiatorSide = new EthernetTransport();
        EthernetEndpoint endpoint = targetSide.GetEndpoint(veth.First);
        endpoint.StartListening();
        ValueTask<EthernetConnection?> accept = endpoint.AcceptAsync(CancellationToken.None);
        EthernetConnection initiator = await initiatorSide.GetEndpoint(veth.Second).ConnectAsync(endpoint.Address, CancellationToken.None).WaitAsync(Timeout);
        EthernetConnection target = (await accept.AsTask().WaitAsync(Timeout))!;
        Assert.Equal(mtu - FrameHeader.Length, initiator.Reliable.MaxPayload);

        var up = new byte[8_000_000];
        var down = new byte[3_000_000];
        new Random(1).NextBytes(up);
        new Random(2).NextBytes(down);
        Task<byte[]> readUp = ReadAsync(target.Pipe.Input, up.Length);
        Task<byte[]> readDown = ReadAsync(initiator.Pipe.Input, down.Length);
        await Task.WhenAll(WriteAsync(initiator.Pipe.Output, up), WriteAsync(target.Pipe.Output, down)).WaitAsync(Timeout);
        Assert.Equal(up, await readUp.WaitAsync(Timeout));
        Assert.Equal(down, await readDown.WaitAsync(Timeout));
        await initiator.CloseAsync(Timeout);
    }

    private static async Task WriteAsync(PipeWriter writer, byte[] data)
    {
        for (int offset = 0; offset < data.Length; offset += 65536)
        {
            await writer.WriteAsync(data.AsMemory(offset, Math.Min(65536, data.Length - offset)));
        }
    }

    private static async Task<byte[]> ReadAsync(PipeReader reader, int length)
    {
        var buffer = new byte[length];
        int at = 0;
        while (at < length)
        {
            ReadResult result = await reader.ReadAsync();
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
            {
                int n = Math.Min(segment.Length, length - at);
                segment.Span[..n].CopyTo(buffer.AsSpan(at));
                at += n;
            }

            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        return buffer[..at];
    }
}
