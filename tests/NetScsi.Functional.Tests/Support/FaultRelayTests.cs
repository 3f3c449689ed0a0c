using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Pdus;

namespace NetScsi.Functional.Tests.Support;

/// <summary>
/// The fault relay itself: it frames the stream right with and without digests, and each fault does exactly what it
/// names to exactly the PDU it names.
/// </summary>
public sealed class FaultRelayTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    private static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task WithoutFaults_EveryPduIsFramedAndForwarded(bool headerDigest, bool dataDigest)
    {
        await using var relayed = await RelayedTarget.StartAsync([]);
        await using IscsiSession session = await relayed.ConnectAsync(o =>
        {
            o.HeaderDigest = headerDigest;
            o.DataDigest = dataDigest;
            o.MaxRecvDataSegmentLength = 8192;
        });
        await session.TestUnitReadyAsync(0).AsTask().WaitAsync(s_timeout);
        byte[] data = Pattern(65536, 1);
        await session.WriteAsync(0, 100, data).AsTask().WaitAsync(s_timeout);
        int dataInBefore = relayed.Relay.Count(0, RelayDirection.ToInitiator, IscsiOpcode.DataIn);
        var back = new byte[data.Length];
        await session.ReadAsync(0, 100, (uint)(data.Length / 512), back).AsTask().WaitAsync(s_timeout);

        Assert.Equal(data, back);
        // 64 KiB in segments of the initiator's 8192: eight Data-In, each framed whole (a framing slip would tear the session).
        Assert.Equal(8, relayed.Relay.Count(0, RelayDirection.ToInitiator, IscsiOpcode.DataIn) - dataInBefore);
        Assert.Equal(1, relayed.Relay.AcceptedConnections);
        Assert.Equal(0, session.RecoveryCount);
    }

    [Fact]
    public async Task CorruptByte_WithoutDataDigest_FlipsExactlyTheChosenByteOfTheChosenDataIn()
    {
        await using var relayed = await RelayedTarget.StartAsync([]);
        await using IscsiSession session = await relayed.ConnectAsync(o => o.MaxRecvDataSegmentLength = 8192);
        await session.TestUnitReadyAsync(0).AsTask().WaitAsync(s_timeout);
        byte[] data = Pattern(16384, 2);
        await session.WriteAsync(0, 0, data).AsTask().WaitAsync(s_timeout);
        // The second Data-In from now: the second segment of the read.
        PduFault fault = relayed.Relay.Arm(new PduFault(RelayDirection.ToInitiator, IscsiOpcode.DataIn, 1, FaultAction.CorruptByte) { Offset = 100 });
        var back = new byte[data.Length];
        await session.ReadAsync(0, 0, 32, back).AsTask().WaitAsync(s_timeout);

        Assert.True(relayed.Relay.Fired(fault));
        int[] differing = Enumerable.Range(0, data.Length).Where(i => data[i] != back[i]).ToArray();
        Assert.True(differing.SequenceEqual([8192 + 100]), $"differing bytes: {string.Join(',', differing)}; relay: {string.Join("; ", relayed.Relay.Log)}");
        Assert.Equal((byte)(data[8192 + 100] ^ 0xFF), back[8192 + 100]);
    }

    [Fact]
    public async Task CorruptByte_WithDataDigest_IsCaughtAndTheSessionRecovers()
    {
        await using var relayed = await RelayedTarget.StartAsync([]);
        await using IscsiSession session = await relayed.ConnectAsync(o =>
        {
            o.DataDigest = true;
            o.MaxRecvDataSegmentLength = 8192;
        });
        await session.TestUnitReadyAsync(0).AsTask().WaitAsync(s_timeout);
        byte[] data = Pattern(16384, 3);
        await session.WriteAsync(0, 0, data).AsTask().WaitAsync(s_timeout);
        PduFault fault = relayed.Relay.Arm(new PduFault(RelayDirection.ToInitiator, IscsiOpcode.DataIn, 1, FaultAction.CorruptByte) { Offset = 7 });
        var back = new byte[data.Length];
        await session.ReadAsync(0, 0, 32, back).AsTask().WaitAsync(s_timeout);

        Assert.True(relayed.Relay.Fired(fault));
        Assert.Equal(data, back);                        // the read was re-issued on a new connection (ERL 0)
        Assert.Equal(2, relayed.Relay.AcceptedConnections);
        Assert.Equal(1, session.RecoveryCount);
    }

    [Fact]
    public async Task CorruptHeaderByte_WithHeaderDigest_IsCaught()
    {
        // The second SCSI Command's ITT: with a header digest the target must notice and drop the connection.
        var fault = new PduFault(RelayDirection.ToTarget, IscsiOpcode.ScsiCommand, 1, FaultAction.CorruptByte) { Region = PduRegion.Header, Offset = 17 };
        await using var relayed = await RelayedTarget.StartAsync([fault]);
        await using IscsiSession session = await relayed.ConnectAsync(o => o.HeaderDigest = true);
        await session.TestUnitReadyAsync(0).AsTask().WaitAsync(s_timeout);
        await session.TestUnitReadyAsync(0).AsTask().WaitAsync(s_timeout);

        Assert.True(relayed.Relay.Fired(fault));
        Assert.Equal(2, relayed.Relay.AcceptedConnections);
        Assert.Equal(1, session.RecoveryCount);
    }

    [Fact]
    public async Task Drop_ClosesTheConnectionInsteadOfForwardingThePdu()
    {
        var fault = new PduFault(RelayDirection.ToTarget, IscsiOpcode.ScsiCommand, 2, FaultAction.Drop);
        await using var relayed = await RelayedTarget.StartAsync([fault]);
        await using IscsiSession session = await relayed.ConnectAsync();
        await session.TestUnitReadyAsync(0).AsTask().WaitAsync(s_timeout);
        byte[] data = Pattern(4096, 4);
        await session.WriteAsync(0, 8, data).AsTask().WaitAsync(s_timeout);
        var back = new byte[data.Length];
        await session.ReadAsync(0, 8, 8, back).AsTask().WaitAsync(s_timeout); // the third command: dropped, then re-issued

        Assert.Equal(data, back);
        Assert.Contains(relayed.Relay.Log, e => e.StartsWith("conn 0 ToTarget ScsiCommand #2: dropped", StringComparison.Ordinal));
        Assert.Equal(2, relayed.Relay.AcceptedConnections);
        Assert.True(relayed.Relay.Count(1, RelayDirection.ToTarget, IscsiOpcode.ScsiCommand) >= 1); // the re-issue went over the new one
    }

    [Fact]
    public async Task Stall_HoldsOneDirectionUntilReleased()
    {
        var fault = new PduFault(RelayDirection.ToInitiator, IscsiOpcode.ScsiResponse, 1, FaultAction.Stall);
        await using var relayed = await RelayedTarget.StartAsync([fault]);
        await using IscsiSession session = await relayed.ConnectAsync();
        await session.TestUnitReadyAsync(0).AsTask().WaitAsync(s_timeout);
        Task<ScsiResult> stalled = session.TestUnitReadyAsync(0).AsTask();
        await Task.Delay(500);
        Assert.False(stalled.IsCompleted);

        relayed.Relay.ReleaseStalls();
        await stalled.WaitAsync(s_timeout);
        Assert.Equal(1, relayed.Relay.AcceptedConnections);
        Assert.Equal(0, session.RecoveryCount);
    }

    [Fact]
    public async Task HoldPast_DeliversThePduAfterTheOnesBehindIt()
    {
        // The first Data-In of a 4-segment read arrives after the second: the initiator places each by its offset.
        await using var relayed = await RelayedTarget.StartAsync([]);
        await using IscsiSession session = await relayed.ConnectAsync(o => o.MaxRecvDataSegmentLength = 8192);
        await session.TestUnitReadyAsync(0).AsTask().WaitAsync(s_timeout);
        byte[] data = Pattern(32768, 5);
        await session.WriteAsync(0, 0, data).AsTask().WaitAsync(s_timeout);
        PduFault fault = relayed.Relay.Arm(new PduFault(RelayDirection.ToInitiator, IscsiOpcode.DataIn, 0, FaultAction.HoldPast) { HoldCount = 1 });
        var back = new byte[data.Length];
        await session.ReadAsync(0, 0, 64, back).AsTask().WaitAsync(s_timeout);

        Assert.True(relayed.Relay.Fired(fault));
        Assert.Equal(data, back);
        Assert.Equal(1, relayed.Relay.AcceptedConnections);
    }
}
