using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Target;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using NetScsi.Transport;
using NetScsi.Transport.Ethernet;

namespace NetScsi.Benchmarks;

/// <summary>
/// <c>--alloc-probe [n] --eth [--mtu M]</c>: the target's 4 KiB reads and writes over the raw-Ethernet mover, on a veth
/// pair made for the run (root needed) and removed after it: the target listens on one end, <see cref="BenchInitiator"/>
/// speaks iSCSI over an Ethernet connection from the other, in this process. Bytes per command are both sides' and
/// both pollers'.
/// </summary>
internal static class EthernetAllocationProbe
{
    private const string TargetName = "iqn.2026-11.org.netscsi:bench-eth";

    public static int Run(int commands, int mtu, Action<Action<BenchInitiator.Operation, int, int>, (string, BenchInitiator.Operation, int)[]> probe)
    {
        string first = $"nsep{Environment.ProcessId % 10000}a";
        string second = $"nsep{Environment.ProcessId % 10000}b";
        Ip($"link add {first} mtu {mtu} type veth peer name {second} mtu {mtu}");
        try
        {
            Ip($"link set {first} up");
            Ip($"link set {second} up");
            RunOn(first, second, probe).GetAwaiter().GetResult();
        }
        finally
        {
            Ip($"link del {first}");
        }

        return 0;
    }

    private static async Task RunOn(string first, string second, Action<Action<BenchInitiator.Operation, int, int>, (string, BenchInitiator.Operation, int)[]> probe)
    {
        using var targetSide = new EthernetTransport();
        using var initiatorSide = new EthernetTransport();
        var options = new IscsiTargetOptions();
        var target = new TargetDefinition { Name = TargetName };
        target.Luns.Add(new LunMapping(0, new BlockLogicalUnit(new MemoryBlockDevice(64L * 1024 * 1024, BenchInitiator.BlockSize), new LogicalUnitOptions())));
        options.Targets.Add(target);
        var server = new IscsiTargetServer(options, NullLoggerFactory.Instance);
        IDataMoverListener listener = await targetSide.ListenAsync(new EthernetPortal(first));
        server.AddListener(listener);
        await server.StartAsync();
        MacAddress address = targetSide.GetEndpoint(first).Address;
        EthernetConnection connection = await initiatorSide.GetEndpoint(second).ConnectAsync(address, CancellationToken.None);
        var client = new BenchInitiator(connection.Pipe, null, 2048);
        await client.LoginAsync(TargetName, "iqn.2026-11.org.netscsi:bench-initiator");
        client.ClearUnitAttention();
        try
        {
            probe(client.Run,
            [
                ("EthRead4K", BenchInitiator.Operation.Read, 1),
                ("EthWrite4K", BenchInitiator.Operation.Write, 1),
                ("EthRead4KQD8", BenchInitiator.Operation.Read, 8),
                ("EthWrite4KQD8", BenchInitiator.Operation.Write, 8),
            ]);
        }
        finally
        {
            await BenchInitiator.DisposeWithTargetAsync(client, server);
            connection.Abort();
        }
    }

    private static void Ip(string arguments)
    {
        using Process process = Process.Start(new ProcessStartInfo("ip", arguments) { RedirectStandardError = true })!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {arguments}: {error.Trim()} (the Ethernet probe needs root)");
        }
    }
}
