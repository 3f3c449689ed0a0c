using NetScsi.Iscsi.Pdus;

namespace NetScsi.Functional.Tests.Target;

/// <summary>
/// RFC 7143 §3.2.2.1: a non-immediate command whose CmdSN lies inside the window but above ExpCmdSN arrived ahead of a
/// hole. The target holds it (with its data) and delivers it once the hole fills; commands outside the window are still
/// ignored, and a held command that is aborted, or whose session ends, never runs.
/// </summary>
public sealed class CmdSNReorderTests
{
    private static readonly TimeSpan s_quiet = TimeSpan.FromMilliseconds(400);

    /// <summary>The next PDU that is not a target ping (NOP-In with ITT 0xffffffff).</summary>
    private static async Task<(byte[] Header, byte[] Data)> ReceiveAsync(RawIscsiClient client, TimeSpan? timeout = null)
    {
        while (true)
        {
            var pdu = await client.ReceiveAsync(timeout);
            if (Bhs.GetOpcode(pdu.Header) != IscsiOpcode.NopIn || Bhs.GetInitiatorTaskTag(pdu.Header) != Bhs.ReservedTag)
            {
                return pdu;
            }
        }
    }

    private static async Task<ScsiResponsePdu> ReceiveResponseAsync(RawIscsiClient client)
    {
        var (reply, _) = await ReceiveAsync(client);
        Assert.Equal(IscsiOpcode.ScsiResponse, Bhs.GetOpcode(reply));
        return ScsiResponsePdu.Parse(reply);
    }

    /// <summary>A TEST UNIT READY in order, which also takes the power-on unit attention out of the way.</summary>
    private static async Task<ScsiResponsePdu> TestUnitReadyAsync(RawIscsiClient client)
    {
        await client.SendAsync(client.BuildScsiCommand(new byte[6], 0, false, false, 0));
        return await ReceiveResponseAsync(client);
    }

    private static byte[] Filled(byte value) => Enumerable.Repeat(value, 512).ToArray();

    /// <summary>Reads one block with an immediate command (outside CmdSN ordering, so it runs behind no hole).</summary>
    private static async Task<byte[]> ReadBlockImmediateAsync(RawIscsiClient client, uint lba)
    {
        var read = client.BuildScsiCommand(TestCdbs.Read10(lba, 1), 512, read: true, write: false, 0, cmdSN: client.CmdSN);
        read[0] |= 0x40;
        await client.SendAsync(read);
        var data = new List<byte>();
        while (true)
        {
            var (reply, payload) = await ReceiveAsync(client);
            if (Bhs.GetOpcode(reply) == IscsiOpcode.DataIn)
            {
                data.AddRange(payload);
                if (DataInPdu.Parse(reply).HasStatus)
                {
                    break;
                }
                continue;
            }
            Assert.Equal(IscsiOpcode.ScsiResponse, Bhs.GetOpcode(reply));
            Assert.Equal(0, ScsiResponsePdu.Parse(reply).Status);
            break;
        }
        return data.ToArray();
    }

    private static byte[] AbortTask(RawIscsiClient client, uint referencedTag, uint refCmdSN)
    {
        var header = new byte[Bhs.Length];
        new TaskManagementRequestPdu
        {
            Immediate = true,
            Function = TaskManagementFunction.AbortTask,
            InitiatorTaskTag = client.NextItt++,
            ReferencedTaskTag = referencedTag,
            CmdSN = client.CmdSN,
            ExpStatSN = client.ExpStatSN,
            RefCmdSN = refCmdSN,
        }.WriteTo(header);
        return header;
    }

    [Fact]
    public async Task WritesSentInReverseCmdSNOrder_TheLaterWaitsForTheHole_ThenBothRun()
    {
        await using var fixture = await TargetFixture.StartAsync(o => o.QueueDepth = 8);
        await using var client = await fixture.LoginAsync("ImmediateData=Yes", "InitialR2T=Yes");
        await TestUnitReadyAsync(client);

        uint first = client.CmdSN;
        var later = client.BuildScsiCommand(TestCdbs.Write10(20, 1), 512, read: false, write: true, 512, cmdSN: first + 1);
        var earlier = client.BuildScsiCommand(TestCdbs.Write10(10, 1), 512, read: false, write: true, 512, cmdSN: first);
        client.CmdSN = first + 2;

        // The later CmdSN comes first: held with its immediate data, it neither runs nor answers.
        await client.SendAsync(later, Filled(0xBB));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReceiveAsync(client, s_quiet));
        Assert.Equal(new byte[512], await ReadBlockImmediateAsync(client, 20));

        // The hole fills: both run, and ExpCmdSN passes both.
        await client.SendAsync(earlier, Filled(0xAA));
        var answers = new[] { await ReceiveResponseAsync(client), await ReceiveResponseAsync(client) };
        Assert.All(answers, a => Assert.Equal(0, a.Status));
        Assert.Equal(
            new[] { Bhs.GetInitiatorTaskTag(earlier), Bhs.GetInitiatorTaskTag(later) }.Order(),
            answers.Select(a => a.InitiatorTaskTag).Order());
        Assert.Equal(first + 2, answers.Max(a => a.ExpCmdSN));
        Assert.Equal(Filled(0xAA), await ReadBlockImmediateAsync(client, 10));
        Assert.Equal(Filled(0xBB), await ReadBlockImmediateAsync(client, 20));

        // The window is whole again: MaxCmdSN is ExpCmdSN + depth - 1 less the TEST UNIT READY still in flight; the
        // immediate READs took no slot and gave none.
        var next = await TestUnitReadyAsync(client);
        Assert.Equal(first + 3, next.ExpCmdSN);
        Assert.Equal(first + 3 + 8 - 2, next.MaxCmdSN);
    }

    [Fact]
    public async Task CommandBeyondMaxCmdSN_IsStillIgnored_WhileOneInsideTheWindowIsHeld()
    {
        await using var fixture = await TargetFixture.StartAsync(o => o.QueueDepth = 4);
        await using var client = await fixture.LoginAsync();
        await TestUnitReadyAsync(client);
        uint hole = client.CmdSN;
        var inside = client.BuildScsiCommand(new byte[6], 0, false, false, 0, cmdSN: hole + 1);
        var beyond = client.BuildScsiCommand(new byte[6], 0, false, false, 0, cmdSN: hole + 4);
        await client.SendAsync(inside);
        await client.SendAsync(beyond);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReceiveAsync(client, s_quiet));

        var filler = client.BuildScsiCommand(new byte[6], 0, false, false, 0, cmdSN: hole);
        await client.SendAsync(filler);
        var answered = new[] { await ReceiveResponseAsync(client), await ReceiveResponseAsync(client) };
        Assert.Equal(
            new[] { Bhs.GetInitiatorTaskTag(filler), Bhs.GetInitiatorTaskTag(inside) }.Order(),
            answered.Select(a => a.InitiatorTaskTag).Order());
        // The one beyond MaxCmdSN was dropped: nothing answers it, and ExpCmdSN stops below it.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReceiveAsync(client, s_quiet));
        client.CmdSN = hole + 2;
        var next = await TestUnitReadyAsync(client);
        Assert.Equal(hole + 3, next.ExpCmdSN);
    }

    [Fact]
    public async Task HeldWriteAbortedByAbortTask_NeverRuns_AndTheHoleFillingReleasesTheRest()
    {
        await using var fixture = await TargetFixture.StartAsync(o => o.QueueDepth = 8);
        await using var client = await fixture.LoginAsync("ImmediateData=Yes", "InitialR2T=Yes");
        await TestUnitReadyAsync(client);
        uint hole = client.CmdSN;
        var aborted = client.BuildScsiCommand(TestCdbs.Write10(30, 1), 512, read: false, write: true, 512, cmdSN: hole + 1);
        var kept = client.BuildScsiCommand(TestCdbs.Write10(31, 1), 512, read: false, write: true, 512, cmdSN: hole + 2);
        client.CmdSN = hole + 3;
        await client.SendAsync(aborted, Filled(0xCC));
        await client.SendAsync(kept, Filled(0xDD));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReceiveAsync(client, s_quiet));

        await client.SendAsync(AbortTask(client, Bhs.GetInitiatorTaskTag(aborted), hole + 1));
        var (tmf, _) = await ReceiveAsync(client);
        Assert.Equal(TaskManagementResponse.FunctionComplete, TaskManagementResponsePdu.Parse(tmf).Response);
        Assert.Equal(hole, TaskManagementResponsePdu.Parse(tmf).ExpCmdSN);

        var filler = client.BuildScsiCommand(new byte[6], 0, false, false, 0, cmdSN: hole);
        await client.SendAsync(filler);
        var answered = new[] { await ReceiveResponseAsync(client), await ReceiveResponseAsync(client) };
        Assert.Equal(
            new[] { Bhs.GetInitiatorTaskTag(filler), Bhs.GetInitiatorTaskTag(kept) }.Order(),
            answered.Select(a => a.InitiatorTaskTag).Order());
        Assert.Equal(hole + 3, answered.Max(a => a.ExpCmdSN));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReceiveAsync(client, s_quiet));
        Assert.Equal(new byte[512], await ReadBlockImmediateAsync(client, 30));
        Assert.Equal(Filled(0xDD), await ReadBlockImmediateAsync(client, 31));
    }

    [Fact]
    public async Task HeldCommandWhoseMissingCmdSNIsAborted_RunsOnceAbortTaskConsidersTheHoleReceived()
    {
        await using var fixture = await TargetFixture.StartAsync(o => o.QueueDepth = 8);
        await using var client = await fixture.LoginAsync();
        await TestUnitReadyAsync(client);
        uint hole = client.CmdSN;
        var held = client.BuildScsiCommand(new byte[6], 0, false, false, 0, cmdSN: hole + 1);
        client.CmdSN = hole + 2;
        await client.SendAsync(held);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReceiveAsync(client, s_quiet));

        // §11.5.1 b: the command at the hole never arrived; ABORT TASK for it counts its CmdSN as received.
        await client.SendAsync(AbortTask(client, 0x6666, hole));
        var received = new List<byte[]> { (await ReceiveAsync(client)).Header, (await ReceiveAsync(client)).Header };
        var tmf = Assert.Single(received, h => Bhs.GetOpcode(h) == IscsiOpcode.TaskManagementResponse);
        Assert.Equal(TaskManagementResponse.FunctionComplete, TaskManagementResponsePdu.Parse(tmf).Response);
        var response = Assert.Single(received, h => Bhs.GetOpcode(h) == IscsiOpcode.ScsiResponse);
        Assert.Equal(Bhs.GetInitiatorTaskTag(held), Bhs.GetInitiatorTaskTag(response));
        Assert.Equal(hole + 2, ScsiResponsePdu.Parse(response).ExpCmdSN);
    }

    [Fact]
    public async Task FloodOfOutOfOrderCommands_HoldsOnlyTheWindow_AndAllOfThoseRunOnceTheHoleFills()
    {
        const int depth = 8;
        await using var fixture = await TargetFixture.StartAsync(o => o.QueueDepth = depth);
        await using var client = await fixture.LoginAsync();
        await TestUnitReadyAsync(client);
        uint hole = client.CmdSN;
        var sent = new List<uint>();
        for (uint sn = hole + 200; sn > hole; sn--)
        {
            var command = client.BuildScsiCommand(new byte[6], 0, false, false, 0, cmdSN: sn);
            await client.SendAsync(command);
            if (sn < hole + depth)
            {
                sent.Add(Bhs.GetInitiatorTaskTag(command));
            }
        }
        // A retransmission of a held CmdSN is a duplicate: dropped, not held twice.
        await client.SendAsync(client.BuildScsiCommand(new byte[6], 0, false, false, 0, cmdSN: hole + 1));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReceiveAsync(client, s_quiet));

        var filler = client.BuildScsiCommand(new byte[6], 0, false, false, 0, cmdSN: hole);
        sent.Add(Bhs.GetInitiatorTaskTag(filler));
        await client.SendAsync(filler);
        var answered = new List<ScsiResponsePdu>();
        for (int i = 0; i < depth; i++)
        {
            answered.Add(await ReceiveResponseAsync(client));
        }
        Assert.Equal(sent.Order(), answered.Select(a => a.InitiatorTaskTag).Order());
        Assert.Equal(hole + depth, answered.Max(a => a.ExpCmdSN));
        // Only the window was held: the commands beyond it never answer.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReceiveAsync(client, s_quiet));
        client.CmdSN = hole + depth;
        Assert.Equal(hole + depth + 1, (await TestUnitReadyAsync(client)).ExpCmdSN);
    }

    [Fact]
    public async Task LogoutWithHeldCommands_AnswersAtOnce_AndTheSessionGoes()
    {
        await using var fixture = await TargetFixture.StartAsync(o => o.QueueDepth = 8);
        await using var client = await fixture.LoginAsync("ImmediateData=Yes", "InitialR2T=Yes");
        await TestUnitReadyAsync(client);
        uint hole = client.CmdSN;
        await client.SendAsync(client.BuildScsiCommand(TestCdbs.Write10(40, 1), 512, read: false, write: true, 512, cmdSN: hole + 1), Filled(0xEE));
        await client.SendAsync(client.BuildScsiCommand(new byte[6], 0, false, false, 0, cmdSN: hole + 2));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReceiveAsync(client, s_quiet));

        var logout = new byte[Bhs.Length];
        new LogoutRequestPdu { Immediate = true, Reason = LogoutReason.CloseSession, InitiatorTaskTag = 0x77, CmdSN = hole, ExpStatSN = client.ExpStatSN }.WriteTo(logout);
        var started = DateTime.UtcNow;
        await client.SendAsync(logout);
        var (reply, _) = await ReceiveAsync(client, TimeSpan.FromSeconds(5));
        Assert.Equal(IscsiOpcode.LogoutResponse, Bhs.GetOpcode(reply));
        Assert.Equal(LogoutResponse.ClosedSuccessfully, (LogoutResponse)reply[2]);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        for (int i = 0; i < 100 && fixture.Server.SessionCount > 0; i++)
        {
            await Task.Delay(20);
        }
        Assert.Equal(0, fixture.Server.SessionCount);
    }

    [Fact]
    public async Task ConnectionDroppedWithHeldCommands_EndsTheSession_AndTheTargetServesTheNext()
    {
        await using var fixture = await TargetFixture.StartAsync(o => o.QueueDepth = 8);
        await using (var dropped = await fixture.LoginAsync("ImmediateData=Yes", "InitialR2T=No"))
        {
            await TestUnitReadyAsync(dropped);
            uint hole = dropped.CmdSN;
            // A held write whose unsolicited data is still to come (F=0), and a held TEST UNIT READY.
            await dropped.SendAsync(dropped.BuildScsiCommand(TestCdbs.Write10(50, 4), 2048, read: false, write: true, 512, final: false, cmdSN: hole + 1), Filled(0x11));
            await dropped.SendAsync(dropped.BuildScsiCommand(new byte[6], 0, false, false, 0, cmdSN: hole + 2));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReceiveAsync(dropped, s_quiet));
        }
        for (int i = 0; i < 100 && fixture.Server.SessionCount > 0; i++)
        {
            await Task.Delay(20);
        }
        Assert.Equal(0, fixture.Server.SessionCount);
        await using var client = await fixture.LoginAsync();
        await TestUnitReadyAsync(client);
        Assert.Equal(new byte[512], await ReadBlockImmediateAsync(client, 50));
    }
}
