using NetScsi.Functional.Tests.Support;
using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Pdus;

namespace NetScsi.Functional.Tests.Target;

/// <summary>
/// DataPDUInOrder=No and DataSequenceInOrder=No (RFC 7143 §13.18-13.19), both sides, over TCP through the fault relay,
/// which reorders R2Ts, Data-Out and Data-In on purpose: every byte lands where its offset says, and the session
/// never drops. With in-order negotiated, the same reordering is a protocol error the target catches (the session recovers).
/// </summary>
public sealed class OutOfOrderDataTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    private static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>All write data solicited, 64 KiB per R2T, 8 KiB per Data-Out: a 256 KiB write is 4 R2Ts at once of 8 PDUs each.</summary>
    private static Task<IscsiSession> ConnectAsync(RelayedTarget relayed, bool inOrder) => relayed.ConnectAsync(o =>
    {
        o.DataPduInOrder = inOrder;
        o.DataSequenceInOrder = inOrder;
        o.ImmediateData = false;
        o.InitialR2T = true;
        o.MaxBurstLength = 65536;
        o.FirstBurstLength = 65536;
        o.MaxRecvDataSegmentLength = 8192;
        o.CommandTimeout = TimeSpan.FromSeconds(10);
    });

    private static Task<RelayedTarget> StartAsync() => RelayedTarget.StartAsync([], o => o.MaxRecvDataSegmentLength = 8192);

    [Fact]
    public async Task OutOfOrderNegotiated_WhenTheInitiatorOffersNo()
    {
        await using var relayed = await StartAsync();
        await using IscsiSession session = await ConnectAsync(relayed, inOrder: false);
        Assert.False(session.Parameters.DataPduInOrder);
        Assert.False(session.Parameters.DataSequenceInOrder);
        Assert.Equal(8, session.Parameters.MaxOutstandingR2T);
    }

    [Fact]
    public async Task Write_WithR2TsAndDataOutReordered_LandsEveryByte()
    {
        await using var relayed = await StartAsync();
        await using IscsiSession session = await ConnectAsync(relayed, inOrder: false);
        await session.TestUnitReadyAsync(0).AsTask().WaitAsync(s_timeout);

        // The first R2T reaches the initiator after the next two (it answers them first), and the second Data-Out of the
        // first sequence it answers arrives after the sixth.
        PduFault r2t = relayed.Relay.Arm(new PduFault(RelayDirection.ToInitiator, IscsiOpcode.ReadyToTransfer, 0, FaultAction.HoldPast) { HoldCount = 2 });
        PduFault dataOut = relayed.Relay.Arm(new PduFault(RelayDirection.ToTarget, IscsiOpcode.DataOut, 1, FaultAction.HoldPast) { HoldCount = 5 });
        byte[] data = Pattern(262144, 21);
        await session.WriteAsync(0, 64, data).AsTask().WaitAsync(s_timeout);

        Assert.True(relayed.Relay.Fired(r2t));
        Assert.True(relayed.Relay.Fired(dataOut));
        var back = new byte[data.Length];
        await session.ReadAsync(0, 64, (uint)(data.Length / 512), back).AsTask().WaitAsync(s_timeout);
        Assert.Equal(data, back);
        Assert.Equal(0, session.RecoveryCount);
        Assert.Equal(1, relayed.Relay.AcceptedConnections);
    }

    [Fact]
    public async Task Write_InOrderNegotiated_ReorderedDataOut_IsAProtocolError()
    {
        await using var relayed = await StartAsync();
        await using IscsiSession session = await ConnectAsync(relayed, inOrder: true);
        Assert.True(session.Parameters.DataPduInOrder);
        await session.TestUnitReadyAsync(0).AsTask().WaitAsync(s_timeout);

        PduFault dataOut = relayed.Relay.Arm(new PduFault(RelayDirection.ToTarget, IscsiOpcode.DataOut, 1, FaultAction.HoldPast) { HoldCount = 5 });
        byte[] data = Pattern(262144, 22);
        await session.WriteAsync(0, 64, data).AsTask().WaitAsync(s_timeout);

        // The target rejected the out-of-place Data-Out; at ERL 0 the initiator re-opened the session and re-issued.
        Assert.True(relayed.Relay.Fired(dataOut));
        Assert.Equal(1, session.RecoveryCount);
        Assert.Equal(2, relayed.Relay.AcceptedConnections);
    }

    [Fact]
    public async Task Writes_WithADifferentDataOutHeldBackEachTime_LandEveryByte()
    {
        // Each write of 2 sequences has another of its Data-Out overtaken by a different number of later ones,
        // across the sequence boundary too.
        await using var relayed = await StartAsync();
        await using IscsiSession session = await ConnectAsync(relayed, inOrder: false);
        await session.TestUnitReadyAsync(0).AsTask().WaitAsync(s_timeout);
        for (int round = 0; round < 4; round++)
        {
            PduFault dataOut = relayed.Relay.Arm(new PduFault(RelayDirection.ToTarget, IscsiOpcode.DataOut, round, FaultAction.HoldPast) { HoldCount = 7 - round });
            byte[] data = Pattern(131072, 30 + round);
            await session.WriteAsync(0, (ulong)(round * 256), data).AsTask().WaitAsync(s_timeout);
            Assert.True(relayed.Relay.Fired(dataOut));
            var back = new byte[data.Length];
            await session.ReadAsync(0, (ulong)(round * 256), (uint)(data.Length / 512), back).AsTask().WaitAsync(s_timeout);
            Assert.Equal(data, back);
        }
        Assert.Equal(0, session.RecoveryCount);
    }

    [Fact]
    public async Task Read_WithDataInSequencesReordered_LandsEveryByte()
    {
        await using var relayed = await StartAsync();
        await using IscsiSession session = await relayed.ConnectAsync(o =>
        {
            o.DataPduInOrder = false;
            o.DataSequenceInOrder = false;
            o.MaxBurstLength = 16384;
            o.FirstBurstLength = 16384;
            o.MaxRecvDataSegmentLength = 8192;
        });
        await session.TestUnitReadyAsync(0).AsTask().WaitAsync(s_timeout);
        byte[] data = Pattern(65536, 23);
        await session.WriteAsync(0, 0, data).AsTask().WaitAsync(s_timeout);

        // 4 sequences of 2 Data-In: the first PDU of the first sequence arrives after the first of the fourth.
        PduFault dataIn = relayed.Relay.Arm(new PduFault(RelayDirection.ToInitiator, IscsiOpcode.DataIn, 0, FaultAction.HoldPast) { HoldCount = 6 });
        var back = new byte[data.Length];
        await session.ReadAsync(0, 0, 128, back).AsTask().WaitAsync(s_timeout);

        Assert.True(relayed.Relay.Fired(dataIn));
        Assert.Equal(data, back);
        Assert.Equal(0, session.RecoveryCount);
    }
}
