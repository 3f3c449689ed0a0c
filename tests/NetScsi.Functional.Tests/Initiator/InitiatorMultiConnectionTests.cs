namespace NetScsi.Functional.Tests.Initiator;

/// <summary>
/// MC/S in the initiator (RFC 7143 §4.2.2, §6.3.1) against NetScsi's target. Until the target takes more than one
/// connection per session it answers MaxConnections=1, so these show the initiator honouring that.
/// </summary>
public sealed class InitiatorMultiConnectionTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    private static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public async Task Connections4_TargetNegotiatesMaxConnections1_SessionRunsOnOneConnectionAndVerifiedIoWorks()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync(o => o.Connections = 4);
        Assert.Equal(1, session.Parameters.MaxConnections);
        Assert.Equal(1, session.ConnectionCount);

        var writes = new List<Task>();
        for (int i = 0; i < 16; i++)
        {
            writes.Add(session.WriteAsync(0, (ulong)(i * 128), Pattern(64 * 1024, i)).AsTask());
        }

        await Task.WhenAll(writes).WaitAsync(s_timeout);
        for (int i = 0; i < 16; i++)
        {
            var back = new byte[64 * 1024];
            await session.ReadAsync(0, (ulong)(i * 128), 128, back).AsTask().WaitAsync(s_timeout);
            Assert.Equal(Pattern(64 * 1024, i), back);
        }

        long[] issued = session.CommandsIssuedPerConnection();
        Assert.Single(issued);
        Assert.True(issued[0] >= 32, $"issued {issued[0]}");
    }

    [Fact]
    public async Task Connections1_Default_OffersMaxConnections1AndRunsOneConnection()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync();
        Assert.Equal(1, session.ConnectionCount);
        var capacity = await session.ReadCapacityAsync(0).WaitAsync(s_timeout);
        Assert.Equal(512, capacity.BlockSize);
    }

    [Fact]
    public async Task Connections4_TargetDropsTheConnection_SessionIsReinstatedWithOneConnectionAndIoContinues()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync(o =>
        {
            o.Connections = 4;
            o.ReplacementTimeout = TimeSpan.FromSeconds(30);
        });
        await session.WriteAsync(0, 0, Pattern(4096, 1)).AsTask().WaitAsync(s_timeout);
        target.Server.DropTargetConnections(target.Target);
        var back = new byte[4096];
        await session.ReadAsync(0, 0, 8, back).AsTask().WaitAsync(s_timeout);
        Assert.Equal(Pattern(4096, 1), back);
        Assert.True(session.RecoveryCount >= 1);
        Assert.Equal(1, session.ConnectionCount);
    }
}
