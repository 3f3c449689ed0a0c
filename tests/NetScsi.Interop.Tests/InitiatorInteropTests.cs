using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Pdus;
using NetScsi.Scsi.Commands;

namespace NetScsi.Interop.Tests;

/// <summary>NetScsi's initiator against Linux tgt.</summary>
public sealed class TgtInitiatorTests(TgtPeer peer) : InitiatorInteropTests(peer), IClassFixture<TgtPeer>;

/// <summary>NetScsi's initiator against NetScsi's target: the same test bodies.</summary>
public sealed class NetScsiInitiatorTests(NetScsiPeer peer) : InitiatorInteropTests(peer), IClassFixture<NetScsiPeer>;

/// <summary>The initiator library against a real target: discovery, authentication, digests, data integrity, provisioning, task management.</summary>
public abstract class InitiatorInteropTests(IInitiatorPeer peer)
{
    private const ulong Lun = IInitiatorPeer.Lun;

    private async Task<IscsiSession> ConnectAsync(PeerAuth auth = PeerAuth.None, Action<IscsiSessionOptions>? configure = null)
    {
        var options = peer.Options(auth);
        configure?.Invoke(options);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var session = await IscsiSession.ConnectAsync(options, cts.Token);
        // Take the new nexus's UNIT ATTENTION (29/00) here, not in the raw commands below.
        await session.TestUnitReadyAsync(Lun);
        return session;
    }

    [Fact]
    public async Task Discovery_ListsAllThreeTargetsOnThePortal()
    {
        var targets = await IscsiDiscovery.DiscoverAsync(peer.Options(PeerAuth.None));
        foreach (var auth in new[] { PeerAuth.None, PeerAuth.Chap, PeerAuth.MutualChap })
        {
            var target = Assert.Single(targets, t => t.TargetName == peer.TargetName(auth));
            Assert.Contains(target.Portals, p => p.Port == peer.Port && p.Host == "127.0.0.1");
        }
    }

    [Theory]
    [InlineData(PeerAuth.None)]
    [InlineData(PeerAuth.Chap)]
    [InlineData(PeerAuth.MutualChap)]
    public async Task Login_ReadCapacity(PeerAuth auth)
    {
        await using var session = await ConnectAsync(auth);
        var capacity = await session.ReadCapacityAsync(Lun);
        Assert.Equal(IInitiatorPeer.LunBytes, (long)capacity.BlockCount * capacity.BlockSize);
        await session.LogoutAsync();
    }

    [Fact]
    public async Task Login_WrongChapSecret_IsRefused()
    {
        var e = await Assert.ThrowsAnyAsync<IscsiLoginException>(() => ConnectAsync(PeerAuth.Chap, o => o.ChapSecret = "not-the-secret-9"));
        Assert.Equal(Iscsi.Login.LoginStatusCode.AuthenticationFailure, e.Status);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Digests_Crc32c_NegotiatedAndDataIntact(bool header, bool data)
    {
        await using var session = await ConnectAsync(PeerAuth.None, o =>
        {
            o.HeaderDigest = header;
            o.DataDigest = data;
            o.RequireDigests = true;
        });
        Assert.Equal(header, session.Parameters.HeaderDigest);
        Assert.Equal(data, session.Parameters.DataDigest);
        await WriteReadVerifyAsync(session, 4096, 1 << 20);
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(1 << 20)]
    public async Task WriteThenRead_MatchesByteForByte(int bytes)
    {
        await using var session = await ConnectAsync();
        await WriteReadVerifyAsync(session, (ulong)(8192 + (bytes / 512)), bytes);
        // Several at once, at different places.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => WriteReadVerifyAsync(session, 40000 + (ulong)(i * (bytes / 512 + 8)), bytes)));
    }

    [Fact]
    public async Task WriteSame_WithPattern_FillsTheRange()
    {
        await using var session = await ConnectAsync();
        byte[] block = new byte[512];
        Random.Shared.NextBytes(block);
        var result = await session.ExecuteAsync(Lun, WriteSame16(70000, 64, unmap: false), default, block);
        Assert.True(result.IsGood, $"{peer.Name}: WRITE SAME(16): {result.Describe()}");
        byte[] back = new byte[64 * 512];
        await session.ReadAsync(Lun, 70000, 64, back);
        for (int i = 0; i < 64; i++)
        {
            Assert.Equal(block, back.AsSpan(i * 512, 512).ToArray());
        }
    }

    [Fact]
    public async Task WriteSameUnmap_And_Unmap_LeaveZeros()
    {
        await using var session = await ConnectAsync();
        byte[] data = RandomBytes(2 << 20);
        await session.WriteAsync(Lun, 100000, data);

        var writeSame = await session.ExecuteAsync(Lun, WriteSame16(100000, 2048, unmap: true), default, new byte[512]);
        Assert.True(writeSame.IsGood == peer.WriteSameUnmapSupported, $"{peer.Name}: WRITE SAME(16) UNMAP: {writeSame.Describe()}");
        if (writeSame.IsGood)
        {
            Assert.True(await IsZeroAsync(session, 100000, 2048));
        }

        byte[] parameters = new byte[UnmapParameterList.LengthFor(1)];
        UnmapParameterList.Write(parameters, [new UnmapBlockDescriptor(102048, 2048)]);
        byte[] unmapCdb = new byte[UnmapCdb.Length];
        new UnmapCdb((ushort)parameters.Length).WriteTo(unmapCdb);
        var unmap = await session.ExecuteAsync(Lun, unmapCdb, default, parameters);
        Assert.True(unmap.IsGood == peer.UnmapSupported, $"{peer.Name}: UNMAP: {unmap.Describe()}");
        if (unmap.IsGood)
        {
            Assert.True(await IsZeroAsync(session, 102048, 2048));
        }
    }

    [Fact]
    public async Task AbortTask_ForACompletedTask_AnswersTaskDoesNotExist()
    {
        await using var session = await ConnectAsync();
        await session.ReadAsync(Lun, 0, 8, new byte[4096]);
        // An ITT this session has not used or has finished with: nothing to abort.
        var response = await session.AbortTaskAsync(Lun, 0x00C0FFEE);
        Assert.True(response == TaskManagementResponse.TaskDoesNotExist, $"{peer.Name}: ABORT TASK of an unknown ITT answered {response}");

        // The session stays usable.
        await session.ReadAsync(Lun, 0, 8, new byte[4096]);
    }

    [Fact]
    public async Task Cancel_InFlightRead_AbortsOrCompletes_SessionStaysUsable()
    {
        await using var session = await ConnectAsync();
        using var cts = new CancellationTokenSource();
        var reads = Enumerable.Range(0, 16).Select(i => session.ReadAsync(Lun, (ulong)(i * 2048), 2048, new byte[1 << 20], cts.Token).AsTask()).ToArray();
        cts.Cancel();
        foreach (var read in reads)
        {
            try
            {
                await read;
            }
            catch (OperationCanceledException)
            {
                // Aborted with ABORT TASK (or never sent).
            }
        }

        await WriteReadVerifyAsync(session, 120000, 4096);
    }

    private static async Task WriteReadVerifyAsync(IscsiSession session, ulong lba, int bytes)
    {
        byte[] data = RandomBytes(bytes);
        await session.WriteAsync(Lun, lba, data);
        byte[] back = new byte[bytes];
        await session.ReadAsync(Lun, lba, (uint)(bytes / 512), back);
        Assert.True(data.AsSpan().SequenceEqual(back), $"{bytes} bytes at LBA {lba} read back differently");

        // The same through a buffer the session rents as the data arrives (large Data-In goes straight into it).
        using PooledReadBuffer pooled = await session.ReadPooledAsync(Lun, lba, (uint)(bytes / 512));
        Assert.True(data.AsSpan().SequenceEqual(pooled.Span), $"{bytes} bytes at LBA {lba} read back differently into a pooled buffer ({pooled.Length} bytes)");
    }

    private static async Task<bool> IsZeroAsync(IscsiSession session, ulong lba, uint blocks)
    {
        byte[] back = new byte[blocks * 512];
        await session.ReadAsync(Lun, lba, blocks, back);
        return back.AsSpan().IndexOfAnyExcept((byte)0) < 0;
    }

    private static byte[] WriteSame16(ulong lba, uint blocks, bool unmap)
    {
        byte[] cdb = new byte[BlockCdb.MaxLength];
        BlockCdb.Create(ScsiOpcode.WriteSame16, lba, blocks, unmap ? BlockCdb.UnmapFlag : (byte)0).WriteTo(cdb);
        return cdb;
    }

    private static byte[] RandomBytes(int length)
    {
        byte[] data = new byte[length];
        Random.Shared.NextBytes(data);
        return data;
    }
}
