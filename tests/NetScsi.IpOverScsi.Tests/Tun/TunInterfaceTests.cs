using System.Net;
using System.Security.Cryptography;
using NetScsi.IpOverScsi.Tests.Networks;
using NetScsi.IpOverScsi.Tun;

namespace NetScsi.IpOverScsi.Tests.Tun;

/// <summary>A real TUN interface in this process's network namespace (root only), created and removed by the test.</summary>
public sealed class TunInterfaceTests
{
    [Fact]
    public async Task Create_NumbersThePattern_SetsMtuAddressAndUp_AndDisposeRemovesIt()
    {
        ProcessRunner.RequireNetworkPrivileges();
        string prefix = "nsipt" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2));
        string name;
        using (TunInterface tun = TunInterface.Create(new TunInterfaceOptions
        {
            Name = prefix + "%d",
            Mtu = 65535,
            Address = IPAddress.Parse("10.97.0.1"),
            PrefixLength = 24,
            TransmitQueueLength = 1000,
        }))
        {
            name = tun.Name;
            Assert.Equal(prefix + "0", name);
            Assert.Equal("65535", (await File.ReadAllTextAsync($"/sys/class/net/{name}/mtu")).Trim());
            Assert.Equal("1000", (await File.ReadAllTextAsync($"/sys/class/net/{name}/tx_queue_len")).Trim());
            int flags = Convert.ToInt32((await File.ReadAllTextAsync($"/sys/class/net/{name}/flags")).Trim(), 16);
            Assert.True((flags & 1) != 0, "IFF_UP");
            CommandResult address = await ProcessRunner.RunAsync("ip", "-o", "-4", "addr", "show", "dev", name);
            Assert.Contains("inet 10.97.0.1/24", address.AssertSuccess().Stdout, StringComparison.Ordinal);

            // A name in use by a live TUN interface is refused with a sentence, not an errno.
            TunException busy = Assert.Throws<TunException>(() => TunInterface.Create(new TunInterfaceOptions { Name = name }));
            Assert.Contains(name, busy.Message, StringComparison.Ordinal);
        }

        Assert.False(Directory.Exists($"/sys/class/net/{name}"), "the interface outlived its descriptor");
    }

    [Fact]
    public async Task Receive_ThrowsOnceCancelled()
    {
        ProcessRunner.RequireNetworkPrivileges();
        using TunInterface tun = TunInterface.Create(new TunInterfaceOptions { Name = "nsipt" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2)) });
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        byte[] buffer = new byte[tun.Mtu];

        // The kernel may send the odd IPv6 solicitation on a new interface: keep reading until cancelled.
        Task reading = Task.Run(() =>
        {
            while (true)
            {
                tun.Receive(buffer, cts.Token);
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
