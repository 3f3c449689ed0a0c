using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Login;
using NetScsi.Scsi;
using NetScsi.Scsi.Storage;

namespace NetScsi.Functional.Tests.Initiator;

/// <summary>The initiator library against NetScsi's target over the in-memory mover.</summary>
public sealed class InitiatorSessionTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    private static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public async Task Discovery_SendTargetsAll_ListsTheTarget()
    {
        await using var target = await InitiatorTarget.StartAsync();
        var found = await IscsiDiscovery.DiscoverAsync(target.Options()).WaitAsync(s_timeout);
        var entry = Assert.Single(found);
        Assert.Equal(InitiatorTarget.TargetName, entry.TargetName);
    }

    [Fact]
    public async Task Discovery_WhenTheTargetRequiresDiscoveryChap_IsRefusedWithoutCredentials()
    {
        await using var target = await InitiatorTarget.StartAsync((o, _) => o.DiscoveryChap = new ChapCredentials("seeker", "discovery-secret"));
        var e = await Assert.ThrowsAsync<IscsiLoginException>(() => IscsiDiscovery.DiscoverAsync(target.Options()).WaitAsync(s_timeout));
        Assert.Equal(LoginStatusCode.AuthenticationFailure, e.Status);
    }

    [Fact]
    public async Task Discovery_WithTheDiscoveryChapCredentials_ListsTheTarget()
    {
        await using var target = await InitiatorTarget.StartAsync((o, _) =>
        {
            o.DiscoveryChap = new ChapCredentials("seeker", "discovery-secret");
            o.DiscoveryMutualChap = new ChapCredentials("portal", "portal-secret-1");
        });
        var found = await IscsiDiscovery.DiscoverAsync(target.Options(o =>
        {
            o.ChapUser = "seeker";
            o.ChapSecret = "discovery-secret";
            o.MutualChapUser = "portal";
            o.MutualChapSecret = "portal-secret-1";
        })).WaitAsync(s_timeout);
        Assert.Equal(InitiatorTarget.TargetName, Assert.Single(found).TargetName);
    }

    [Fact]
    public async Task Discovery_WithAWrongDiscoverySecret_IsRefused()
    {
        await using var target = await InitiatorTarget.StartAsync((o, _) => o.DiscoveryChap = new ChapCredentials("seeker", "discovery-secret"));
        var e = await Assert.ThrowsAsync<IscsiLoginException>(() => IscsiDiscovery.DiscoverAsync(target.Options(o =>
        {
            o.ChapUser = "seeker";
            o.ChapSecret = "not-the-secret!!";
        })).WaitAsync(s_timeout));
        Assert.Equal(LoginStatusCode.AuthenticationFailure, e.Status);
    }

    [Fact]
    public async Task Discovery_TargetChapAlone_DoesNotGuardDiscovery()
    {
        // The session's CHAP secret guards the session; discovery has its own (none here), as in LIO.
        await using var target = await InitiatorTarget.StartAsync((_, t) => t.Chap = new ChapCredentials("alice", "alice-secret-12"));
        var found = await IscsiDiscovery.DiscoverAsync(target.Options()).WaitAsync(s_timeout);
        Assert.Single(found);
    }

    [Fact]
    public void TryParsePortal_ReadsAddressPortAndTag()
    {
        Assert.True(IscsiDiscovery.TryParsePortal("[fe80::1]:3261,5", out var v6));
        Assert.Equal(("fe80::1", 3261, (ushort?)5), (v6.Host, v6.Port, v6.PortalGroupTag));
        Assert.True(IscsiDiscovery.TryParsePortal("10.0.0.1,1", out var v4));
        Assert.Equal(("10.0.0.1", 3260, (ushort?)1), (v4.Host, v4.Port, v4.PortalGroupTag));
    }

    [Fact]
    public async Task Login_None_InquiryCapacityAndReportLunsWork()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync();
        Assert.Equal(IscsiSessionState.Running, session.State);
        var inquiry = await session.InquiryAsync(0).WaitAsync(s_timeout);
        Assert.Equal(0, inquiry.PeripheralDeviceType);
        var capacity = await session.ReadCapacityAsync(0).WaitAsync(s_timeout);
        Assert.Equal(512, capacity.BlockSize);
        Assert.Equal(64UL * 1024 * 1024 / 512, capacity.BlockCount);
        Assert.Equal([0UL], await session.ReportLunsAsync().WaitAsync(s_timeout));
        var tur = await session.TestUnitReadyAsync(0).AsTask().WaitAsync(s_timeout);
        Assert.True(tur.IsGood || tur.SenseKey == SenseKey.UnitAttention, tur.Describe());
    }

    [Fact]
    public async Task Execute_ReadBeyondEnd_ReturnsCheckConditionWithSense()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync();
        await session.ReadCapacityAsync(0);
        byte[] cdb = [0x28, 0, 0xFF, 0xFF, 0xFF, 0x00, 0, 0, 1, 0];
        var result = await session.ExecuteAsync(0, cdb, new byte[512], default).AsTask().WaitAsync(s_timeout);
        Assert.Equal(ScsiStatus.CheckCondition, result.Status);
        Assert.Equal(SenseKey.IllegalRequest, result.SenseKey);
        Assert.Equal(0x2100, result.AdditionalSenseCode);
        await Assert.ThrowsAsync<ScsiCommandException>(async () => await session.ReadAsync(0, 0xFFFFFF00, 1, new byte[512]));
    }

    [Fact]
    public async Task ReadWrite_FirstCommandsOfANexus_RetryUnitAttentionInsideTheCommand()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync();

        // The new nexus's UNIT ATTENTION (29/00) meets the first read: it is retried, not thrown.
        byte[] buffer = new byte[4096];
        await session.ReadAsync(0, 16, 8, buffer).AsTask().WaitAsync(s_timeout);

        // WriteAsync learns the block size once (READ CAPACITY), then takes the allocation-free path.
        byte[] data = Pattern(8192, 41);
        await session.WriteAsync(0, 16, data).AsTask().WaitAsync(s_timeout);
        await session.WriteAsync(0, 32, data).AsTask().WaitAsync(s_timeout);
        byte[] back = new byte[8192];
        await session.ReadAsync(0, 32, 16, back).AsTask().WaitAsync(s_timeout);
        Assert.Equal(data, back);
        Assert.Equal(0, session.OutstandingCommands);

        // A status other than GOOD (and not UNIT ATTENTION) throws, and the command goes back to the pool.
        var e = await Assert.ThrowsAsync<ScsiCommandException>(async () => await session.WriteAsync(0, 0xFFFFFF00, data));
        Assert.Equal(SenseKey.IllegalRequest, e.Result.SenseKey);
        Assert.Equal(0, session.OutstandingCommands);
    }

    [Fact]
    public async Task InlineCompletions_ConcurrentVerifiedIo_AndUnitAttentionRetry()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync(o => o.InlineCompletions = true);

        // The first read meets the nexus's UNIT ATTENTION and is re-queued from the receive loop.
        await session.ReadAsync(0, 0, 8, new byte[4096]).AsTask().WaitAsync(s_timeout);

        // Eight workers whose continuations run on the receive loop and submit from there.
        var workers = Enumerable.Range(0, 8).Select(async w =>
        {
            byte[] back = new byte[4096];
            for (int i = 0; i < 200; i++)
            {
                byte[] data = Pattern(4096, (w * 1000) + i);
                ulong lba = (ulong)(w * 64) + ((ulong)i % 8 * 8);
                await session.WriteAsync(0, lba, data);
                await session.ReadAsync(0, lba, 8, back);
                Assert.Equal(data, back);
            }
        });
        await Task.WhenAll(workers).WaitAsync(s_timeout);
        Assert.Equal(0, session.OutstandingCommands);

        // Status errors still throw to the caller.
        await Assert.ThrowsAsync<ScsiCommandException>(async () => await session.ReadAsync(0, 0xFFFFFF00, 1, new byte[512]));
        await session.LogoutAsync().WaitAsync(s_timeout);
    }

    [Fact]
    public async Task ReadWrite_WithCancellableToken_CompleteAndLeaveNoRegistrationBehind()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync();
        await session.TestUnitReadyAsync(0);
        byte[] buffer = new byte[4096];
        using var cts = new CancellationTokenSource();
        for (int i = 0; i < 2000; i++)
        {
            await session.ReadAsync(0, (ulong)(i % 64) * 8, 8, buffer, cts.Token).AsTask().WaitAsync(s_timeout);
        }

        // Cancelling a token whose commands all finished must not touch the (pooled, reused) commands.
        await cts.CancelAsync();
        await session.ReadAsync(0, 0, 8, buffer).AsTask().WaitAsync(s_timeout);
        Assert.Equal(IscsiSessionState.Running, session.State);
        Assert.Equal(0, session.OutstandingCommands);
    }

    [Fact]
    public async Task Execute_ShortAllocation_ReportsResidualUnderflow()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync();
        // INQUIRY with allocation 255 into a 255-byte buffer: the target sends less and reports underflow.
        byte[] cdb = [0x12, 0, 0, 0, 255, 0];
        var result = await session.ExecuteAsync(0, cdb, new byte[255], default).AsTask().WaitAsync(s_timeout);
        Assert.True(result.IsGood);
        Assert.True(result.ResidualUnderflow);
        Assert.Equal(255u - (uint)result.DataInLength, result.ResidualCount);
    }

    [Fact]
    public async Task Login_OneWayChap_AuthenticatesTheInitiatorOnly()
    {
        await using var target = await InitiatorTarget.StartAsync((_, t) => t.Chap = new ChapCredentials("alice", "alice-secret-12"));
        await using var session = await target.ConnectAsync(o =>
        {
            o.ChapUser = "alice";
            o.ChapSecret = "alice-secret-12";
        });
        Assert.Equal(LoginAuthentication.Chap, session.Authentication);
        await session.ReadCapacityAsync(0).WaitAsync(s_timeout);
    }

    [Fact]
    public async Task Login_WithoutChapOnEitherSide_AuthenticatesNobody()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync();
        Assert.Equal(LoginAuthentication.None, session.Authentication);
    }

    [Fact]
    public async Task Login_MutualChap_AuthenticatesBothSides()
    {
        await using var target = await InitiatorTarget.StartAsync((_, t) =>
        {
            t.Chap = new ChapCredentials("alice", "alice-secret-12");
            t.MutualChap = new ChapCredentials("target-name", "target-secret-1");
        });
        await using var session = await target.ConnectAsync(o =>
        {
            o.ChapUser = "alice";
            o.ChapSecret = "alice-secret-12";
            o.MutualChapUser = "target-name";
            o.MutualChapSecret = "target-secret-1";
            o.ChapAlgorithms = [ChapAlgorithm.Sha1];
        });
        Assert.Equal(LoginAuthentication.MutualChap, session.Authentication);
        await session.ReadCapacityAsync(0).WaitAsync(s_timeout);
    }

    [Fact]
    public async Task Login_WrongChapSecret_ThrowsAuthenticationFailure()
    {
        await using var target = await InitiatorTarget.StartAsync((_, t) => t.Chap = new ChapCredentials("alice", "alice-secret-12"));
        var e = await Assert.ThrowsAsync<IscsiLoginException>(() => target.ConnectAsync(o =>
        {
            o.ChapUser = "alice";
            o.ChapSecret = "not-the-secret!";
        }));
        Assert.Equal(LoginStatusCode.AuthenticationFailure, e.Status);
    }

    [Fact]
    public async Task Login_MutualChapWithWrongTargetSecret_IsRefusedByInitiator()
    {
        await using var target = await InitiatorTarget.StartAsync((_, t) =>
        {
            t.Chap = new ChapCredentials("alice", "alice-secret-12");
            t.MutualChap = new ChapCredentials("target-name", "impostor-secret");
        });
        var e = await Assert.ThrowsAsync<IscsiLoginException>(() => target.ConnectAsync(o =>
        {
            o.ChapUser = "alice";
            o.ChapSecret = "alice-secret-12";
            o.MutualChapUser = "target-name";
            o.MutualChapSecret = "target-secret-1";
        }));
        Assert.Equal(LoginStatusCode.AuthenticationFailure, e.Status);
        Assert.False(e.ReportedByTarget);
    }

    [Fact]
    public async Task Login_UnknownTarget_ThrowsNotFound()
    {
        await using var target = await InitiatorTarget.StartAsync();
        var e = await Assert.ThrowsAsync<IscsiLoginException>(() => target.ConnectAsync(o => o.TargetName = "iqn.2026-11.org.netscsi:nope"));
        Assert.Equal(LoginStatusCode.NotFound, e.Status);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task WriteThenRead_4KiBAnd1MiB_ManyOutstanding_MatchByteForByte(bool digests, bool initialR2T)
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync(o =>
        {
            o.HeaderDigest = digests;
            o.DataDigest = digests;
            o.InitialR2T = initialR2T;
        });
        Assert.Equal(digests, session.Parameters.HeaderDigest);
        Assert.Equal(digests, session.Parameters.DataDigest);
        Assert.Equal(initialR2T, session.Parameters.InitialR2T);

        var writes = new List<Task>();
        var expected = new Dictionary<ulong, byte[]>();
        for (int i = 0; i < 16; i++)
        {
            ulong lba = (ulong)i * 2048;
            byte[] data = Pattern(i % 2 == 0 ? 4096 : 1024 * 1024, i);
            expected[lba] = data;
            writes.Add(session.WriteAsync(0, lba, data).AsTask());
        }

        await Task.WhenAll(writes).WaitAsync(s_timeout);
        var reads = new List<Task>();
        var buffers = new Dictionary<ulong, byte[]>();
        foreach (var (lba, data) in expected)
        {
            var buffer = new byte[data.Length];
            buffers[lba] = buffer;
            reads.Add(session.ReadAsync(0, lba, (uint)(data.Length / 512), buffer).AsTask());
        }

        await Task.WhenAll(reads).WaitAsync(s_timeout);
        foreach (var (lba, data) in expected)
        {
            Assert.True(data.AsSpan().SequenceEqual(buffers[lba]), $"data at LBA {lba} differs");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadPooled_ManyOutstanding_EachGetsItsOwnBytes_AndFailuresThrow(bool digests)
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync(o =>
        {
            o.HeaderDigest = digests;
            o.DataDigest = digests;
        });
        var expected = new Dictionary<ulong, byte[]>();
        for (int i = 0; i < 12; i++)
        {
            ulong lba = (ulong)i * 2048;
            expected[lba] = Pattern((i % 3) switch { 0 => 4096, 1 => 64 * 1024, _ => 1024 * 1024 }, 500 + i);
            await session.WriteAsync(0, lba, expected[lba]).AsTask().WaitAsync(s_timeout);
        }

        // Twice over, so the second round reads into arrays the first gave back.
        for (int round = 0; round < 2; round++)
        {
            var reads = expected.Keys.Select(lba => (lba, task: session.ReadPooledAsync(0, lba, (uint)(expected[lba].Length / 512)).AsTask())).ToList();
            foreach (var (lba, task) in reads)
            {
                using PooledReadBuffer back = await task.WaitAsync(s_timeout);
                Assert.Equal(expected[lba].Length, back.Length);
                Assert.True(expected[lba].AsSpan().SequenceEqual(back.Span), $"round {round}: data at LBA {lba} differs");
            }
        }

        var error = await Assert.ThrowsAsync<ScsiCommandException>(async () => await session.ReadPooledAsync(0, 0xFFFFFF00, 8));
        Assert.Equal(SenseKey.IllegalRequest, error.Result.SenseKey);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await session.ReadPooledAsync(0, 0, 0));
        using PooledReadBuffer after = await session.ReadPooledAsync(0, 0, 8).AsTask().WaitAsync(s_timeout);
        Assert.True(expected[0].AsSpan(0, 4096).SequenceEqual(after.Span));
    }

    [Fact]
    public async Task Write_InitialR2TYesWithSeveralOutstandingR2Ts_StoresEveryByte()
    {
        await using var target = await InitiatorTarget.StartAsync((o, _) =>
        {
            o.MaxBurstLength = 65536;
            o.MaxOutstandingR2T = 4;
            o.MaxRecvDataSegmentLength = 8192;
        });
        await using var session = await target.ConnectAsync(o =>
        {
            o.InitialR2T = true;
            o.ImmediateData = false;
        });
        Assert.True(session.Parameters.InitialR2T);
        Assert.False(session.Parameters.ImmediateData);
        Assert.Equal(4, session.Parameters.MaxOutstandingR2T);
        Assert.Equal(65536, session.Parameters.MaxBurstLength);
        Assert.Equal(8192, session.Parameters.TargetMaxRecvDataSegmentLength);

        byte[] data = Pattern(1024 * 1024 + 512, 42);
        await session.WriteAsync(0, 100, data).AsTask().WaitAsync(s_timeout);
        var back = new byte[data.Length];
        await session.ReadAsync(0, 100, (uint)(data.Length / 512), back).AsTask().WaitAsync(s_timeout);
        Assert.True(data.AsSpan().SequenceEqual(back));
    }

    [Fact]
    public async Task Write_UnsolicitedDataWithImmediateData_StoresEveryByte()
    {
        await using var target = await InitiatorTarget.StartAsync((o, _) => o.MaxRecvDataSegmentLength = 4096);
        await using var session = await target.ConnectAsync(o =>
        {
            o.InitialR2T = false;
            o.ImmediateData = true;
            o.FirstBurstLength = 65536;
        });
        Assert.False(session.Parameters.InitialR2T);
        byte[] data = Pattern(300 * 1024, 7);
        await session.WriteAsync(0, 0, data).AsTask().WaitAsync(s_timeout);
        var back = new byte[data.Length];
        await session.ReadAsync(0, 0, (uint)(data.Length / 512), back).AsTask().WaitAsync(s_timeout);
        Assert.True(data.AsSpan().SequenceEqual(back));
    }

    [Fact]
    public async Task Cancel_SlowCommand_AbortsItAndSessionStaysUsable()
    {
        DelayBlockDevice? slow = null;
        await using var target = await InitiatorTarget.StartAsync(wrap: d => slow = new DelayBlockDevice(d));
        await using var session = await target.ConnectAsync();
        await session.ReadCapacityAsync(0).WaitAsync(s_timeout);
        slow!.ReadDelay = TimeSpan.FromSeconds(3);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var start = DateTime.UtcNow;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await session.ReadAsync(0, 0, 8, new byte[4096], cts.Token));
        Assert.True(DateTime.UtcNow - start < TimeSpan.FromSeconds(10));
        slow.ReadDelay = TimeSpan.Zero;
        var buffer = new byte[4096];
        await session.ReadAsync(0, 0, 8, buffer).AsTask().WaitAsync(s_timeout);
        Assert.Equal(IscsiSessionState.Running, session.State);
    }

    [Fact]
    public async Task LogicalUnitReset_AnswersFunctionComplete()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync();
        Assert.Equal(NetScsi.Iscsi.Pdus.TaskManagementResponse.FunctionComplete, await session.LogicalUnitResetAsync(0).WaitAsync(s_timeout));
        // The next command sees UNIT ATTENTION; the convenience methods retry it.
        await session.ReadAsync(0, 0, 1, new byte[512]).AsTask().WaitAsync(s_timeout);
    }

    [Fact]
    public async Task TargetDropsConnectionMidWorkload_SessionRecoversAndEveryCommandCompletesOnce()
    {
        await using var target = await InitiatorTarget.StartAsync();
        await using var session = await target.ConnectAsync(o => o.ReplacementTimeout = TimeSpan.FromSeconds(30));
        const int Writers = 24;
        var data = new byte[Writers][];
        for (int i = 0; i < Writers; i++)
        {
            data[i] = Pattern(i % 3 == 0 ? 1024 * 1024 : 64 * 1024, 1000 + i);
        }

        int completions = 0;
        async Task WriteAndVerifyAsync(int i)
        {
            ulong lba = (ulong)i * 4096;
            for (int round = 0; round < 4; round++)
            {
                await session.WriteAsync(0, lba, data[i]);
                if (round % 2 == 0)
                {
                    var back = new byte[data[i].Length];
                    await session.ReadAsync(0, lba, (uint)(back.Length / 512), back);
                    Assert.True(data[i].AsSpan().SequenceEqual(back), $"writer {i} round {round} read back different data");
                }
                else
                {
                    // A pooled read re-issued after the drop keeps the array it rented and is filled again.
                    using var back = await session.ReadPooledAsync(0, lba, (uint)(data[i].Length / 512));
                    Assert.True(data[i].AsSpan().SequenceEqual(back.Span), $"writer {i} round {round} read back different data into a pooled buffer");
                }

                Interlocked.Increment(ref completions);
            }
        }

        var workload = Enumerable.Range(0, Writers).Select(WriteAndVerifyAsync).ToList();
        await Task.Delay(50);
        target.Server.DropTargetConnections(target.Target);
        await Task.Delay(100);
        target.Server.DropTargetConnections(target.Target);
        await Task.WhenAll(workload).WaitAsync(s_timeout);
        Assert.Equal(Writers * 4, completions);
        Assert.True(session.RecoveryCount >= 1);
        // The second drop may land after the last command finished: that recovery then runs on its own.
        var deadline = DateTime.UtcNow + s_timeout;
        while (session.State == IscsiSessionState.Recovering && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        Assert.Equal(IscsiSessionState.Running, session.State);
        Assert.Equal(0, session.OutstandingCommands);
    }

    [Fact]
    public async Task TargetGone_CommandsFailAfterReplacementTimeout()
    {
        var target = await InitiatorTarget.StartAsync();
        var session = await target.ConnectAsync(o => o.ReplacementTimeout = TimeSpan.FromSeconds(1));
        await session.ReadCapacityAsync(0);
        await target.DisposeAsync();
        var e = await Assert.ThrowsAsync<IscsiConnectionException>(async () => await session.ReadAsync(0, 0, 1, new byte[512]).AsTask().WaitAsync(s_timeout));
        Assert.Contains("replacement timeout", e.Message, StringComparison.Ordinal);
        Assert.Equal(IscsiSessionState.Failed, session.State);
        await session.DisposeAsync();
    }

    [Fact]
    public async Task Logout_AfterWork_ClosesSession()
    {
        await using var target = await InitiatorTarget.StartAsync();
        var session = await target.ConnectAsync();
        await session.WriteAsync(0, 0, new byte[4096]);
        await session.LogoutAsync().WaitAsync(s_timeout);
        Assert.Equal(IscsiSessionState.Closed, session.State);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await session.ReadAsync(0, 0, 1, new byte[512]));
        await session.DisposeAsync();
    }

    [Fact]
    public async Task CommandTimeout_AbortsTaskAndFailsWithTimeout_SessionStaysUsable()
    {
        DelayBlockDevice? slow = null;
        await using var target = await InitiatorTarget.StartAsync(wrap: d => slow = new DelayBlockDevice(d));
        await using var session = await target.ConnectAsync(o => o.CommandTimeout = TimeSpan.FromMilliseconds(400));
        await session.ReadCapacityAsync(0).WaitAsync(s_timeout);
        slow!.ReadDelay = TimeSpan.FromSeconds(3);
        await Assert.ThrowsAsync<IscsiCommandTimeoutException>(async () => await session.ReadAsync(0, 0, 8, new byte[4096]).AsTask().WaitAsync(s_timeout));
        slow.ReadDelay = TimeSpan.Zero;
        await session.ReadAsync(0, 0, 8, new byte[4096]).AsTask().WaitAsync(s_timeout);
        Assert.Equal(IscsiSessionState.Running, session.State);
    }
}
