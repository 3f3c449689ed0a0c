namespace NetScsi.IpOverScsi.Tests.Networks;

/// <summary><c>netscsi ip up</c> refuses bad input with one line and a documented exit code, before creating anything.</summary>
public sealed class CliInputTests
{
    private static Task<CommandResult> IpUpAsync(params string[] arguments) =>
        ProcessRunner.RunAsync(TimeSpan.FromSeconds(60), null, ProcessRunner.Dotnet, ["exec", ProcessRunner.NetScsiDll, "ip", "up", .. arguments]);

    [Theory]
    [InlineData("the prefix length is missing", "--address", "10.99.0.1")]
    [InlineData("expected an IPv4 address", "--address", "fe80::1/64")]
    [InlineData("the MTU must be 68 to 65535", "--mtu", "70000")]
    [InlineData("expected IP=URL or URL", "--peer", "nonsense")]
    [InlineData("is not an IPv4 address", "--peer", "10.99.0=iscsi://127.0.0.1")]
    [InlineData("must start with 'iscsi://'", "--peer", "10.99.0.2=http://127.0.0.1")]
    [InlineData("an Ethernet peer names the MAC of its interface", "--peer", "10.99.0.2=eth://eth0/iqn.2026-11.org.netscsi:ip-10.99.0.2")]
    [InlineData("invalid portal 'eth:'", "--listen", "eth:")]
    [InlineData("expected drop, busy or task-set-full", "--queue-full", "never")]
    [InlineData("the interface name must be 1 to 15 bytes", "an-interface-name-too-long")]
    public async Task BadInput_ExitsTwo_WithOneLineSayingWhy(string expected, params string[] arguments)
    {
        CommandResult result = await IpUpAsync(arguments);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task WithoutCapNetAdmin_ExitsOne_SayingSo()
    {
        Assert.True(ProcessRunner.OnPath("setpriv"), "setpriv (util-linux) drops the capability for this test");

        // Root without CAP_NET_ADMIN in any set: /dev/net/tun opens, TUNSETIFF is refused.
        CommandResult result = await ProcessRunner.RunAsync(TimeSpan.FromSeconds(60), null, "setpriv",
            "--inh-caps=-net_admin", "--bounding-set=-net_admin", "--",
            ProcessRunner.Dotnet, "exec", ProcessRunner.NetScsiDll, "ip", "up", "nsipcap0", "--address", "10.99.0.1/24", "--listen", "127.0.0.1:0");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("CAP_NET_ADMIN", result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
