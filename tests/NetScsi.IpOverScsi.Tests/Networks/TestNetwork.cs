using System.Security.Cryptography;

namespace NetScsi.IpOverScsi.Tests.Networks;

/// <summary>
/// Hosts made of network namespaces, joined by veth pairs that carry the iSCSI traffic (the "SCSI bus"), with
/// <c>netscsi ip up</c> processes in them. Every name carries a random tag so concurrent runs never collide;
/// disposing stops the processes and deletes the namespaces (and with them the veths and TUN interfaces).
/// </summary>
internal sealed class TestNetwork : IAsyncDisposable
{
    private readonly string _tag = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
    private readonly List<string> _namespaces = new();
    private readonly List<IpUpProcess> _processes = new();
    private readonly string _directory;
    private int _links;

    private TestNetwork()
    {
        _directory = Directory.CreateTempSubdirectory("netscsi-ip-").FullName;
    }

    public static TestNetwork Create()
    {
        ProcessRunner.RequireNetworkPrivileges();
        return new TestNetwork();
    }

    /// <summary>A new host: a namespace with loopback up. Returns its name.</summary>
    public async Task<string> AddHostAsync(string name)
    {
        string ns = $"nsip-{_tag}-{name}";
        await ProcessRunner.RunAsync("ip", "netns", "add", ns).AssertSuccessAsync();
        _namespaces.Add(ns);
        await ExecAsync(ns, "ip", "link", "set", "lo", "up").AssertSuccessAsync();
        return ns;
    }

    /// <summary>A veth pair between two hosts with an address (A.B.C.D/P) at each end; returns the two interfaces' names.</summary>
    public async Task<(string A, string B)> LinkAsync(string nsA, string addressA, string nsB, string addressB)
    {
        int n = _links++;
        string a = $"v{_tag}{n}a";
        string b = $"v{_tag}{n}b";
        await ProcessRunner.RunAsync("ip", "link", "add", a, "netns", nsA, "type", "veth", "peer", "name", b, "netns", nsB).AssertSuccessAsync();
        await ExecAsync(nsA, "ip", "addr", "add", addressA, "dev", a).AssertSuccessAsync();
        await ExecAsync(nsB, "ip", "addr", "add", addressB, "dev", b).AssertSuccessAsync();
        await ExecAsync(nsA, "ip", "link", "set", a, "up").AssertSuccessAsync();
        await ExecAsync(nsB, "ip", "link", "set", b, "up").AssertSuccessAsync();
        return (a, b);
    }

    /// <summary>A veth pair between two hosts with no IP address, a MAC and an MTU at each end: a bare Ethernet segment.</summary>
    public async Task<(string A, string B)> LinkEthernetAsync(string nsA, string macA, string nsB, string macB, int mtu)
    {
        int n = _links++;
        string a = $"v{_tag}{n}a";
        string b = $"v{_tag}{n}b";
        string m = mtu.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await ProcessRunner.RunAsync("ip", "link", "add", a, "netns", nsA, "address", macA, "mtu", m, "type", "veth",
            "peer", "name", b, "netns", nsB, "address", macB, "mtu", m).AssertSuccessAsync();
        await ExecAsync(nsA, "ip", "link", "set", a, "up").AssertSuccessAsync();
        await ExecAsync(nsB, "ip", "link", "set", b, "up").AssertSuccessAsync();
        return (a, b);
    }

    /// <summary>A bus shared by several hosts: a namespace holding a bridge that each attached host's veth joins.</summary>
    public async Task<string> AddBusAsync(string name)
    {
        string ns = await AddHostAsync(name);
        await ExecAsync(ns, "ip", "link", "add", "br0", "type", "bridge").AssertSuccessAsync();
        await ExecAsync(ns, "ip", "link", "set", "br0", "up").AssertSuccessAsync();
        return ns;
    }

    /// <summary>Joins a host to a bus with an address (A.B.C.D/P) on its end.</summary>
    public async Task AttachAsync(string bus, string host, string address)
    {
        int n = _links++;
        string h = $"v{_tag}{n}h";
        string b = $"v{_tag}{n}b";
        await ProcessRunner.RunAsync("ip", "link", "add", h, "netns", host, "type", "veth", "peer", "name", b, "netns", bus).AssertSuccessAsync();
        await ExecAsync(bus, "ip", "link", "set", b, "master", "br0").AssertSuccessAsync();
        await ExecAsync(bus, "ip", "link", "set", b, "up").AssertSuccessAsync();
        await ExecAsync(host, "ip", "addr", "add", address, "dev", h).AssertSuccessAsync();
        await ExecAsync(host, "ip", "link", "set", h, "up").AssertSuccessAsync();
    }

    /// <summary>Runs a command in a host.</summary>
    public Task<CommandResult> ExecAsync(string ns, string file, params string[] arguments) =>
        ProcessRunner.RunAsync(ProcessRunner.DefaultTimeout, null, "ip", ["netns", "exec", ns, file, .. arguments]);

    /// <summary>Runs a command in a host with bytes on its standard input.</summary>
    public Task<CommandResult> ExecAsync(string ns, byte[] stdin, string file, params string[] arguments) =>
        ProcessRunner.RunAsync(ProcessRunner.DefaultTimeout, stdin, "ip", ["netns", "exec", ns, file, .. arguments]);

    /// <summary>Starts <c>netscsi ip up ARGS</c> in a host; stopped when the network is disposed.</summary>
    public async Task<IpUpProcess> IpUpAsync(string ns, params string[] arguments)
    {
        string status = Path.Combine(_directory, $"{ns}-{_processes.Count}.json");
        IpUpProcess process = await IpUpProcess.StartAsync(ns, status, arguments);
        _processes.Add(process);
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (IpUpProcess process in _processes)
        {
            await process.DisposeAsync();
        }
        foreach (string ns in _namespaces)
        {
            // Anything else still running in the host (a server a test started) goes with it.
            CommandResult pids = await ProcessRunner.RunAsync("ip", "netns", "pids", ns);
            foreach (string pid in pids.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                ProcessRunner.Signal(int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture), ProcessRunner.SIGKILL);
            }
            await ProcessRunner.RunAsync("ip", "netns", "del", ns);
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class CommandResultTasks
{
    public static async Task<CommandResult> AssertSuccessAsync(this Task<CommandResult> task) => (await task).AssertSuccess();
}
