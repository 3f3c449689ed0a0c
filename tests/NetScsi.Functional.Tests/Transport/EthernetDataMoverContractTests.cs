using System.Diagnostics;
using NetScsi.Transport;
using NetScsi.Transport.Ethernet;

namespace NetScsi.Functional.Tests.Transport;

/// <summary>The contract on the Ethernet mover over an in-process simulated segment (no packet sockets).</summary>
public sealed class EthernetSimulatedDataMoverContractTests : DataMoverContractTests
{
    protected override async Task<(IInitiatorDataMover Initiator, ITargetDataMover Target, IAsyncDisposable Owner)> ConnectAsync()
    {
        var segment = new SimulatedSegment(mtu: 9000);
        var targetSide = new EthernetTransport(segment.CreatePort);
        var initiatorSide = new EthernetTransport(segment.CreatePort);
        IDataMoverListener listener = await targetSide.ListenAsync(new EthernetPortal("sim-t"));
        MacAddress address = ((EthernetListener)listener).Address;
        ValueTask<ITargetDataMover?> accept = listener.AcceptAsync();
        IInitiatorDataMover initiator = await initiatorSide.ConnectAsync(new EthernetPortal("sim-i", address)).AsTask().WaitAsync(Timeout);
        ITargetDataMover target = (await accept.AsTask().WaitAsync(Timeout))!;
        return (initiator, target, new EthernetCloser(listener, initiator, target, targetSide, initiatorSide, null));
    }
}

/// <summary>The contract on the Ethernet mover over AF_PACKET sockets on a veth pair made for each test (root, as in CI).</summary>
public sealed class EthernetVethDataMoverContractTests : DataMoverContractTests
{
    private static int s_next;

    protected override async Task<(IInitiatorDataMover Initiator, ITargetDataMover Target, IAsyncDisposable Owner)> ConnectAsync()
    {
        string tag = $"{Environment.ProcessId % 10000}c{Interlocked.Increment(ref s_next)}";
        string first = "nse" + tag + "a";
        string second = "nse" + tag + "b";
        Ip($"link add {first} mtu 9000 type veth peer name {second} mtu 9000");
        Ip($"link set {first} up");
        Ip($"link set {second} up");
        var targetSide = new EthernetTransport();
        var initiatorSide = new EthernetTransport();
        IDataMoverListener listener = await targetSide.ListenAsync(new EthernetPortal(first));
        MacAddress address = ((EthernetListener)listener).Address;
        ValueTask<ITargetDataMover?> accept = listener.AcceptAsync();
        IInitiatorDataMover initiator = await initiatorSide.ConnectAsync(new EthernetPortal(second, address)).AsTask().WaitAsync(Timeout);
        ITargetDataMover target = (await accept.AsTask().WaitAsync(Timeout))!;
        return (initiator, target, new EthernetCloser(listener, initiator, target, targetSide, initiatorSide, () => Ip($"link del {first}")));
    }

    private static void Ip(string arguments)
    {
        using Process process = Process.Start(new ProcessStartInfo("ip", arguments) { RedirectStandardError = true })!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {arguments}: {error.Trim()} (the veth contract tests need root, as CI has)");
        }
    }
}

internal sealed class EthernetCloser(
    IDataMoverListener listener, IInitiatorDataMover initiator, ITargetDataMover target, EthernetTransport targetSide, EthernetTransport initiatorSide, Action? cleanup)
    : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        initiator.Terminate();
        target.Terminate();
        await initiator.DisposeAsync();
        await target.DisposeAsync();
        await listener.DisposeAsync();
        initiatorSide.Dispose();
        targetSide.Dispose();
        cleanup?.Invoke();
    }
}
