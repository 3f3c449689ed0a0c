using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Target;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using NetScsi.Transport;
using NetScsi.Transport.InMemory;

namespace NetScsi.Functional.Tests.Transport;

/// <summary>
/// A mover's key declarations reach both login state machines: over a mover whose frames carry at most 4 KiB and
/// no digests, the login settles within them on both sides, and I/O larger than a frame still works.
/// </summary>
public sealed class DataMoverCapabilitiesTests
{
    private static readonly DataMoverCapabilities s_capped = new() { MaxDataSegmentLength = 4096, Digests = false };

    [Fact]
    public async Task CappedMover_LoginStaysWithinItsSegmentLimit_AndNegotiatesNoDigests()
    {
        var options = new IscsiTargetOptions();
        var target = new TargetDefinition { Name = "iqn.2026-12.org.netscsi:capped" };
        target.Luns.Add(new LunMapping(0, new BlockLogicalUnit(new MemoryBlockDevice(1 << 20, 512), new LogicalUnitOptions())));
        options.Targets.Add(target);
        await using var server = new IscsiTargetServer(options, NullLoggerFactory.Instance);
        var transport = new CappedTransport();
        server.AddListener(transport);

        await using var session = await IscsiSession.ConnectAsync(new IscsiSessionOptions
        {
            Portal = transport.Portal,
            Connector = transport,
            TargetName = target.Name,
            HeaderDigest = true,
            DataDigest = true,
            MaxRecvDataSegmentLength = 262144,
        }).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(session.Parameters.HeaderDigest);
        Assert.False(session.Parameters.DataDigest);
        Assert.InRange(session.Parameters.InitiatorMaxRecvDataSegmentLength, 512, 4096);
        Assert.InRange(session.Parameters.TargetMaxRecvDataSegmentLength, 512, 4096);

        byte[] data = new byte[64 * 1024];
        new Random(4).NextBytes(data);
        await session.WriteAsync(0, 0, data);
        byte[] back = new byte[data.Length];
        await session.ReadAsync(0, 0, (uint)(data.Length / 512), back);
        Assert.Equal(data, back);
    }

    [Fact]
    public void CappedMover_DigestsRequired_IsRefusedBeforeAnythingIsSent()
    {
        var options = new IscsiSessionOptions { TargetName = "iqn.2026-12.org.netscsi:capped", HeaderDigest = true, RequireDigests = true };
        Assert.Throws<ArgumentException>(() => new InitiatorLoginStateMachine(options, capabilities: s_capped));
    }

    /// <summary>An in-memory transport whose movers declare <see cref="s_capped"/>.</summary>
    private sealed class CappedTransport : IDataMoverListener, IDataMoverConnector
    {
        private readonly Channel<ITargetDataMover> _pending = Channel.CreateUnbounded<ITargetDataMover>();

        public Portal Portal { get; } = new MemoryPortal("capped");

        public ValueTask<IInitiatorDataMover> ConnectAsync(Portal portal, CancellationToken cancellationToken = default)
        {
            var (client, server) = InMemoryDataMover.CreatePipePair();
            _pending.Writer.TryWrite(new CappedTarget(server));
            return ValueTask.FromResult<IInitiatorDataMover>(new CappedInitiator(client));
        }

        public async ValueTask<ITargetDataMover?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await _pending.Reader.ReadAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
            {
                return null;
            }
        }

        public string? FormatTargetAddress(IDataMoverConnection via) => null;

        public ValueTask DisposeAsync()
        {
            _pending.Writer.TryComplete();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class CappedTarget(System.IO.Pipelines.IDuplexPipe pipe) : StreamTargetDataMover(pipe, "capped", "capped", "capped")
    {
        public override DataMoverCapabilities Capabilities => s_capped;
    }

    private sealed class CappedInitiator(System.IO.Pipelines.IDuplexPipe pipe) : StreamInitiatorDataMover(pipe, "capped", "capped", "capped")
    {
        public override DataMoverCapabilities Capabilities => s_capped;
    }
}
