using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Pdus;
using NetScsi.Scsi;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;

namespace NetScsi.Functional.Tests.Target;

/// <summary>
/// Every PDU that names a task, a CmdSN or a tag that does not exist gets the answer RFC 7143 gives it: a Reject, a
/// task management response, or a quiet drop where the RFC expects such PDUs; never silence that leaves the
/// initiator waiting, and never a hole that stalls the session.
/// </summary>
public sealed class ProtocolHoleTests
{
    private static readonly TimeSpan s_quiet = TimeSpan.FromMilliseconds(400);

    private static byte[] DataOut(uint itt, uint ttt, uint offset, int length, uint dataSN = 0, bool final = true)
    {
        var header = new byte[Bhs.Length];
        new DataOutPdu
        {
            Final = final,
            DataSegmentLength = length,
            InitiatorTaskTag = itt,
            TargetTransferTag = ttt,
            DataSN = dataSN,
            BufferOffset = offset,
        }.WriteTo(header);
        return header;
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

    private static byte[] Ping(RawIscsiClient client, uint itt, uint ttt = Bhs.ReservedTag)
    {
        var header = new byte[Bhs.Length];
        new NopOutPdu { Immediate = true, InitiatorTaskTag = itt, TargetTransferTag = ttt, CmdSN = client.CmdSN, ExpStatSN = client.ExpStatSN }.WriteTo(header);
        return header;
    }

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

    private static async Task AssertRejectedAsync(RawIscsiClient client, RejectReason reason, byte[] rejected)
    {
        var (reply, data) = await ReceiveAsync(client);
        Assert.Equal(IscsiOpcode.Reject, Bhs.GetOpcode(reply));
        Assert.Equal(reason, RejectPdu.Parse(reply).Reason);
        Assert.Equal(rejected, data);
    }

    private static async Task AssertSessionWorksAsync(RawIscsiClient client)
    {
        var tur = client.BuildScsiCommand(new byte[6], 0, false, false, 0);
        await client.SendAsync(tur);
        var (reply, _) = await ReceiveAsync(client);
        Assert.Equal(IscsiOpcode.ScsiResponse, Bhs.GetOpcode(reply));
        Assert.Equal(Bhs.GetInitiatorTaskTag(tur), Bhs.GetInitiatorTaskTag(reply));
    }

    [Fact]
    public async Task DataOut_WithUnknownInitiatorTaskTag_IsRejectedAsInvalidPduField()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync();
        var header = DataOut(itt: 0x7777, ttt: Bhs.ReservedTag, offset: 0, length: 512);
        await client.SendAsync(header, new byte[512]);
        await AssertRejectedAsync(client, RejectReason.InvalidPduField, header);
        await AssertSessionWorksAsync(client);
    }

    [Fact]
    public async Task DataOut_ForCommandThatTakesNoData_IsRejectedAsInvalidPduField()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync();
        // A READ(10) of 8 blocks: its ITT is live until its status goes out, but it takes no Data-Out.
        var read = client.BuildScsiCommand(TestCdbs.Read10(0, 8), 8 * 512, read: true, write: false, 0);
        uint itt = Bhs.GetInitiatorTaskTag(read);
        var header = DataOut(itt, Bhs.ReservedTag, 0, 512);
        await client.SendAsync(read);
        await client.SendAsync(header, new byte[512]);
        bool rejected = false;
        for (int i = 0; i < 4 && !rejected; i++)
        {
            var (reply, data) = await ReceiveAsync(client);
            if (Bhs.GetOpcode(reply) == IscsiOpcode.Reject)
            {
                Assert.Equal(RejectReason.InvalidPduField, RejectPdu.Parse(reply).Reason);
                Assert.Equal(header, data);
                rejected = true;
            }
            else if (Bhs.GetOpcode(reply) == IscsiOpcode.ScsiResponse || (Bhs.GetOpcode(reply) == IscsiOpcode.DataIn && DataInPdu.Parse(reply).HasStatus))
            {
                // The read finished before the Data-Out came: its tag then names no task at all, same answer.
                continue;
            }
        }
        Assert.True(rejected);
    }

    [Fact]
    public async Task DataOut_WithUnknownTargetTransferTag_IsRejectedAndTheWriteFails()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync("InitialR2T=Yes", "ImmediateData=No");
        var write = client.BuildScsiCommand(TestCdbs.Write10(0, 8), 8 * 512, false, true, 0);
        uint itt = Bhs.GetInitiatorTaskTag(write);
        await client.SendAsync(write);
        var (r2t, _) = await ReceiveAsync(client);
        Assert.Equal(IscsiOpcode.ReadyToTransfer, Bhs.GetOpcode(r2t));
        uint ttt = ReadyToTransferPdu.Parse(r2t).TargetTransferTag;

        var header = DataOut(itt, ttt + 1000, 0, 8 * 512);
        await client.SendAsync(header, new byte[8 * 512]);
        await AssertRejectedAsync(client, RejectReason.InvalidPduField, header);
        // At ERL 0 the data cannot be asked for again: the write ends with CHECK CONDITION, it does not hang.
        var (response, sense) = await ReceiveAsync(client);
        Assert.Equal(IscsiOpcode.ScsiResponse, Bhs.GetOpcode(response));
        Assert.Equal((byte)ScsiStatus.CheckCondition, ScsiResponsePdu.Parse(response).Status);
        Assert.Equal((byte)SenseKey.AbortedCommand, (byte)(sense[2 + 2] & 0x0F));
        await AssertSessionWorksAsync(client);
    }

    [Fact]
    public async Task DataOut_ForAbortedWrite_IsDroppedWithoutReject()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync("InitialR2T=Yes", "ImmediateData=No");
        uint cmdSN = client.CmdSN;
        var write = client.BuildScsiCommand(TestCdbs.Write10(0, 8), 8 * 512, false, true, 0);
        uint itt = Bhs.GetInitiatorTaskTag(write);
        await client.SendAsync(write);
        var (r2t, _) = await ReceiveAsync(client);
        uint ttt = ReadyToTransferPdu.Parse(r2t).TargetTransferTag;
        await client.SendAsync(AbortTask(client, itt, cmdSN));
        var (tmf, _) = await ReceiveAsync(client);
        Assert.Equal(TaskManagementResponse.FunctionComplete, TaskManagementResponsePdu.Parse(tmf).Response);

        // RFC 7143 §4.2.3: the initiator may still be answering the aborted task's R2T; that data is no error.
        await client.SendAsync(DataOut(itt, ttt, 0, 8 * 512), new byte[8 * 512]);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReceiveAsync(client, s_quiet));
        await AssertSessionWorksAsync(client);
    }

    [Fact]
    public async Task UnsolicitedDataOut_ForAWriteRefusedBeforeItsDataPhase_IsDroppedWithoutReject()
    {
        await using var fixture = await TargetFixture.StartAsync(o => o.SessionBufferBudget = 1024 * 1024);
        await using var client = await fixture.LoginAsync("InitialR2T=No", "ImmediateData=No");
        // The first write holds the whole budget; the second (F=0: unsolicited data follows) gets TASK SET FULL.
        await client.SendAsync(client.BuildScsiCommand(TestCdbs.Write10(0, 2048), 1024 * 1024, false, true, 0, final: false));
        var refused = client.BuildScsiCommand(TestCdbs.Write10(4096, 16), 16 * 512, false, true, 0, final: false);
        await client.SendAsync(refused);
        await client.SendAsync(DataOut(Bhs.GetInitiatorTaskTag(refused), Bhs.ReservedTag, 0, 16 * 512), new byte[16 * 512]);

        bool taskSetFull = false;
        try
        {
            while (true)
            {
                var (reply, _) = await ReceiveAsync(client, s_quiet);
                Assert.NotEqual(IscsiOpcode.Reject, Bhs.GetOpcode(reply));
                if (Bhs.GetOpcode(reply) == IscsiOpcode.ScsiResponse)
                {
                    Assert.Equal((byte)ScsiStatus.TaskSetFull, ScsiResponsePdu.Parse(reply).Status);
                    taskSetFull = true;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        Assert.True(taskSetFull);
    }

    [Fact]
    public async Task AbortTask_ForCommandThatNeverArrived_MovesTheWindowPastItsCmdSN()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync();
        // The initiator gave CmdSN n to a command that never reached us, then asks for it to be aborted.
        uint lost = client.CmdSN++;
        await client.SendAsync(AbortTask(client, referencedTag: 0x5555, refCmdSN: lost));
        var (tmf, _) = await ReceiveAsync(client);
        var answer = TaskManagementResponsePdu.Parse(tmf);
        Assert.Equal(TaskManagementResponse.FunctionComplete, answer.Response);
        Assert.Equal(lost + 1, answer.ExpCmdSN);

        // §11.5.1 b: the CmdSN counts as received, so the next command runs instead of waiting behind the hole.
        await AssertSessionWorksAsync(client);
    }

    [Fact]
    public async Task AbortTask_ForTwoLostCommandsInEitherOrder_MovesTheWindowPastBoth()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync();
        uint first = client.CmdSN++;
        uint second = client.CmdSN++;
        await client.SendAsync(AbortTask(client, 0x5556, second));
        Assert.Equal(TaskManagementResponse.FunctionComplete, TaskManagementResponsePdu.Parse((await ReceiveAsync(client)).Header).Response);
        await client.SendAsync(AbortTask(client, 0x5555, first));
        var (tmf, _) = await ReceiveAsync(client);
        Assert.Equal(TaskManagementResponse.FunctionComplete, TaskManagementResponsePdu.Parse(tmf).Response);
        Assert.Equal(second + 1, TaskManagementResponsePdu.Parse(tmf).ExpCmdSN);
        await AssertSessionWorksAsync(client);
    }

    [Fact]
    public async Task AbortTask_WithRefCmdSNOutsideTheWindow_AnswersTaskDoesNotExistAndLeavesTheWindow()
    {
        await using var fixture = await TargetFixture.StartAsync(o => o.QueueDepth = 8);
        await using var client = await fixture.LoginAsync();
        await client.SendAsync(AbortTask(client, 0x5555, refCmdSN: client.CmdSN + 100));
        var (tmf, _) = await ReceiveAsync(client);
        Assert.Equal(TaskManagementResponse.TaskDoesNotExist, TaskManagementResponsePdu.Parse(tmf).Response);
        Assert.Equal(client.CmdSN, TaskManagementResponsePdu.Parse(tmf).ExpCmdSN);
        await AssertSessionWorksAsync(client);
    }

    [Fact]
    public async Task NopOut_AnsweringAPingNeverSent_IsRejectedAsInvalidPduField()
    {
        await using var fixture = await TargetFixture.StartAsync(o => o.NopInInterval = TimeSpan.Zero);
        await using var client = await fixture.LoginAsync();
        var header = Ping(client, itt: Bhs.ReservedTag, ttt: 0x1234);
        await client.SendAsync(header);
        await AssertRejectedAsync(client, RejectReason.InvalidPduField, header);
        await AssertSessionWorksAsync(client);
    }

    [Fact]
    public async Task NopOut_WithTaskTagAndTargetTransferTag_IsRejectedAsInvalidPduField()
    {
        await using var fixture = await TargetFixture.StartAsync(o => o.NopInInterval = TimeSpan.Zero);
        await using var client = await fixture.LoginAsync();
        var header = Ping(client, itt: 0x42, ttt: 0x1234);
        await client.SendAsync(header);
        await AssertRejectedAsync(client, RejectReason.InvalidPduField, header);
        await AssertSessionWorksAsync(client);
    }

    [Fact]
    public async Task TextRequest_ContinuingAnExchangeThatDoesNotExist_IsRejectedAsInvalidPduField()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync();
        var header = new byte[Bhs.Length];
        new TextRequestPdu
        {
            Immediate = true,
            Final = true,
            InitiatorTaskTag = client.NextItt++,
            TargetTransferTag = 0x4321,
            CmdSN = client.CmdSN,
            ExpStatSN = client.ExpStatSN,
        }.WriteTo(header);
        await client.SendAsync(header);
        await AssertRejectedAsync(client, RejectReason.InvalidPduField, header);
        await AssertSessionWorksAsync(client);
    }

    [Theory]
    [InlineData(0)] // Data/R2T SNACK
    [InlineData(1)] // Status SNACK
    [InlineData(2)] // DataACK
    [InlineData(3)] // R-Data SNACK
    public async Task Snack_AtErrorRecoveryLevelZero_IsRejectedAsProtocolError_AndTheSessionGoesOn(int type)
    {
        // RFC 7143 §11.16, §13.20: SNACK belongs to ErrorRecoveryLevel 1 and above. At ERL 0 it is a known opcode used
        // where it may not be: Reject 0x04 (protocol error), not 0x05 (command not supported).
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync();
        var header = new byte[Bhs.Length];
        new SnackRequestPdu { Type = (byte)type, InitiatorTaskTag = 0x99, TargetTransferTag = Bhs.ReservedTag, ExpStatSN = client.ExpStatSN, BegRun = 0, RunLength = 0 }.WriteTo(header);
        await client.SendAsync(header);
        await AssertRejectedAsync(client, RejectReason.ProtocolError, header);
        await AssertSessionWorksAsync(client);
    }

    private static byte[] TaskManagement(RawIscsiClient client, TaskManagementFunction function, uint referencedTag = Bhs.ReservedTag)
    {
        var header = new byte[Bhs.Length];
        new TaskManagementRequestPdu
        {
            Immediate = true,
            Function = function,
            InitiatorTaskTag = client.NextItt++,
            ReferencedTaskTag = referencedTag,
            CmdSN = client.CmdSN,
            ExpStatSN = client.ExpStatSN,
            RefCmdSN = client.CmdSN,
        }.WriteTo(header);
        return header;
    }

    private static async Task AssertTaskManagementAnswerAsync(RawIscsiClient client, byte[] request, TaskManagementResponse expected)
    {
        await client.SendAsync(request);
        var (reply, _) = await ReceiveAsync(client);
        Assert.Equal(IscsiOpcode.TaskManagementResponse, Bhs.GetOpcode(reply));
        Assert.Equal(Bhs.GetInitiatorTaskTag(request), Bhs.GetInitiatorTaskTag(reply));
        Assert.Equal(expected, TaskManagementResponsePdu.Parse(reply).Response);
    }

    [Fact]
    public async Task TaskReassign_AtErrorRecoveryLevelZero_AnswersTaskAllegianceReassignmentNotSupported()
    {
        // RFC 7143 §11.5.1, §11.6.1 (response 4), §7.2.2: reassigning a task to another connection is connection
        // recovery, ERL 2; at ERL 0 the answer is "task allegiance reassignment not supported".
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync();
        await AssertTaskManagementAnswerAsync(client, TaskManagement(client, TaskManagementFunction.TaskReassign, referencedTag: 0x5555), TaskManagementResponse.TaskAllegianceReassignmentNotSupported);
        await AssertSessionWorksAsync(client);
    }

    [Fact]
    public async Task ClearAca_WithoutAcaSupport_AnswersFunctionNotSupported()
    {
        // The logical units report NACA=0 (no ACA, SPC-4 §7.4.2 Control mode page): CLEAR ACA is a function the target
        // does not support, RFC 7143 §11.6.1 response 5.
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync();
        await AssertTaskManagementAnswerAsync(client, TaskManagement(client, TaskManagementFunction.ClearAca), TaskManagementResponse.FunctionNotSupported);
        await AssertSessionWorksAsync(client);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)] // QUERY TASK (RFC 7144), not implemented
    [InlineData(12)] // QUERY ASYNCHRONOUS EVENT (RFC 7144), not implemented
    [InlineData(13)]
    [InlineData(0x7F)]
    public async Task TaskManagement_WithAFunctionCodeWeDoNotImplement_AnswersFunctionNotSupported(int function)
    {
        // RFC 7143 §11.6.1 response 5 "task management function not supported"; RFC 7144 §4.2 gives the same answer for
        // its functions when a target does not implement them. The session goes on.
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync();
        await AssertTaskManagementAnswerAsync(client, TaskManagement(client, (TaskManagementFunction)function), TaskManagementResponse.FunctionNotSupported);
        await AssertSessionWorksAsync(client);
    }

    [Fact]
    public async Task Logout_RemovingTheConnectionForRecovery_AtErrorRecoveryLevelZero_AnswersRecoveryNotSupported_AndTheSessionGoesOn()
    {
        // RFC 7143 §11.14.1 reason 2 needs ERL 2; §11.15.1 response 2 "connection recovery is not supported". Nothing
        // is closed.
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync();
        var header = new byte[Bhs.Length];
        new LogoutRequestPdu { Immediate = true, Reason = LogoutReason.RemoveConnectionForRecovery, Cid = 0, InitiatorTaskTag = client.NextItt++, CmdSN = client.CmdSN, ExpStatSN = client.ExpStatSN }.WriteTo(header);
        await client.SendAsync(header);
        var (reply, _) = await ReceiveAsync(client);
        Assert.Equal(IscsiOpcode.LogoutResponse, Bhs.GetOpcode(reply));
        Assert.Equal(Bhs.GetInitiatorTaskTag(header), Bhs.GetInitiatorTaskTag(reply));
        Assert.Equal(LogoutResponse.ConnectionRecoveryNotSupported, (LogoutResponse)reply[2]);
        Assert.Equal(1, fixture.Server.SessionCount);
        await AssertSessionWorksAsync(client);
    }

    [Fact]
    public async Task AbortTask_ForACommandWaitingBehindACmdSNHole_AnswersFunctionComplete_AndTheCommandNeverRuns()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync();
        // CmdSN n is the hole; the TEST UNIT READY at n+1 arrives but may not run before n (RFC 7143 §3.2.2.1).
        uint hole = client.CmdSN++;
        var waiting = client.BuildScsiCommand(new byte[6], 0, false, false, 0);
        uint waitingCmdSN = hole + 1;
        await client.SendAsync(waiting);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReceiveAsync(client, s_quiet));

        // §11.5.1 a/b: whether the target holds it or not, ABORT TASK for it is "function complete".
        await client.SendAsync(AbortTask(client, Bhs.GetInitiatorTaskTag(waiting), waitingCmdSN));
        var (tmf, _) = await ReceiveAsync(client);
        var answer = TaskManagementResponsePdu.Parse(tmf);
        Assert.Equal(TaskManagementResponse.FunctionComplete, answer.Response);
        Assert.Equal(hole, answer.ExpCmdSN);

        // The hole fills: the command at n runs, the aborted one never answers, and ExpCmdSN passes both.
        var filler = client.BuildScsiCommand(new byte[6], 0, false, false, 0, cmdSN: hole);
        await client.SendAsync(filler);
        var (response, _) = await ReceiveAsync(client);
        Assert.Equal(IscsiOpcode.ScsiResponse, Bhs.GetOpcode(response));
        Assert.Equal(Bhs.GetInitiatorTaskTag(filler), Bhs.GetInitiatorTaskTag(response));
        Assert.Equal(waitingCmdSN + 1, ScsiResponsePdu.Parse(response).ExpCmdSN);
        await AssertSessionWorksAsync(client);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReceiveAsync(client, s_quiet));
    }

    [Fact]
    public async Task AbortTask_ForACommandSentBeyondTheWindow_AnswersTaskDoesNotExist_AndTheCommandNeverRuns()
    {
        await using var fixture = await TargetFixture.StartAsync(o => o.QueueDepth = 8);
        await using var client = await fixture.LoginAsync();
        // RFC 7143 §4.2.2.1: a command beyond MaxCmdSN is ignored, so the target holds no such task (§11.5.1 c).
        uint expected = client.CmdSN;
        client.CmdSN += 20;
        var beyond = client.BuildScsiCommand(new byte[6], 0, false, false, 0);
        uint beyondCmdSN = client.CmdSN - 1;
        await client.SendAsync(beyond);
        client.CmdSN = expected;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReceiveAsync(client, s_quiet));
        await client.SendAsync(AbortTask(client, Bhs.GetInitiatorTaskTag(beyond), beyondCmdSN));
        var (tmf, _) = await ReceiveAsync(client);
        Assert.Equal(TaskManagementResponse.TaskDoesNotExist, TaskManagementResponsePdu.Parse(tmf).Response);
        Assert.Equal(expected, TaskManagementResponsePdu.Parse(tmf).ExpCmdSN);
        await AssertSessionWorksAsync(client);
    }

    [Fact]
    public async Task Logout_ClosingAConnectionThatDoesNotExist_AnswersCidNotFound_AndTheSessionGoesOn()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync();
        var header = new byte[Bhs.Length];
        new LogoutRequestPdu { Immediate = true, Reason = LogoutReason.CloseConnection, Cid = 0x7777, InitiatorTaskTag = client.NextItt++, CmdSN = client.CmdSN, ExpStatSN = client.ExpStatSN }.WriteTo(header);
        await client.SendAsync(header);
        var (reply, _) = await ReceiveAsync(client);
        Assert.Equal(IscsiOpcode.LogoutResponse, Bhs.GetOpcode(reply));
        Assert.Equal(LogoutResponse.CidNotFound, (LogoutResponse)reply[2]);
        await AssertSessionWorksAsync(client);
    }

    [Fact]
    public async Task Command_SentAfterALogoutThatEndsTheSession_IsRejectedAsWaitingForLogout_WhileTheRunningOneFinishes()
    {
        // RFC 7143 §11.14: no new command after a Logout that closes the session; §11.9.1: one that comes anyway is
        // rejected "waiting for logout" (so the initiator issues it again on its next session), not run and not
        // "task in progress". The READ already running (300 ms) is answered before the Logout is.
        await using var fixture = await TargetFixture.StartAsync(o =>
        {
            o.Targets[0].Luns.Clear();
            o.Targets[0].Luns.Add(new LunMapping(0, new BlockLogicalUnit(
                new DelayBlockDevice(new MemoryBlockDevice(1 << 20, 512), readDelay: TimeSpan.FromMilliseconds(300)), new LogicalUnitOptions())));
        });
        await using var client = await fixture.LoginAsync();
        await AssertSessionWorksAsync(client); // takes the power-on unit attention, so the READ below really reads
        var read = client.BuildScsiCommand(TestCdbs.Read10(0, 1), 512, true, false, 0);
        await client.SendAsync(read);
        var logout = new byte[Bhs.Length];
        new LogoutRequestPdu { Immediate = true, Reason = LogoutReason.CloseSession, InitiatorTaskTag = client.NextItt++, CmdSN = client.CmdSN, ExpStatSN = client.ExpStatSN }.WriteTo(logout);
        var tur = client.BuildScsiCommand(new byte[6], 0, false, false, 0);
        await client.SendRawAsync(client.Frame(logout, default).Concat(client.Frame(tur, default)).ToArray());

        var seen = new List<(IscsiOpcode Opcode, uint Itt, byte[] Header, byte[] Data)>();
        while (seen.Count == 0 || seen[^1].Opcode != IscsiOpcode.LogoutResponse)
        {
            var (header, data) = await ReceiveAsync(client);
            seen.Add((Bhs.GetOpcode(header), Bhs.GetInitiatorTaskTag(header), header, data));
        }

        var reject = Assert.Single(seen, p => p.Opcode == IscsiOpcode.Reject);
        Assert.Equal(RejectReason.WaitingForLogout, RejectPdu.Parse(reject.Header).Reason);
        Assert.Equal(tur, reject.Data);
        Assert.DoesNotContain(seen, p => p.Itt == Bhs.GetInitiatorTaskTag(tur) && p.Opcode != IscsiOpcode.Reject);
        Assert.Contains(seen, p => p.Itt == Bhs.GetInitiatorTaskTag(read) && p.Opcode is IscsiOpcode.ScsiResponse or IscsiOpcode.DataIn);
        Assert.Equal(LogoutResponse.ClosedSuccessfully, (LogoutResponse)seen[^1].Header[2]);
    }

    [Fact]
    public async Task Command_WithTheTagOfATaskStillRunning_IsRejectedAsTaskInProgress()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync("InitialR2T=Yes", "ImmediateData=No");
        var write = client.BuildScsiCommand(TestCdbs.Write10(0, 8), 8 * 512, false, true, 0);
        uint itt = Bhs.GetInitiatorTaskTag(write);
        await client.SendAsync(write);
        Assert.Equal(IscsiOpcode.ReadyToTransfer, Bhs.GetOpcode((await ReceiveAsync(client)).Header));
        var again = client.BuildScsiCommand(new byte[6], 0, false, false, 0, itt: itt);
        await client.SendAsync(again);
        await AssertRejectedAsync(client, RejectReason.TaskInProgress, again);
    }

    [Fact]
    public async Task Command_AnnouncingMoreDataThanOneCommandMayHold_GetsInvalidFieldInCdbBeforeAnyData()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync("InitialR2T=Yes", "ImmediateData=No");
        const uint tooLarge = 32u * 1024 * 1024;
        await client.SendAsync(client.BuildScsiCommand(TestCdbs.Write10(0, 65535), tooLarge, false, true, 0));
        var (reply, sense) = await ReceiveAsync(client);
        Assert.Equal(IscsiOpcode.ScsiResponse, Bhs.GetOpcode(reply));
        Assert.Equal((byte)ScsiStatus.CheckCondition, ScsiResponsePdu.Parse(reply).Status);
        Assert.Equal((byte)SenseKey.IllegalRequest, (byte)(sense[2 + 2] & 0x0F));
        Assert.Equal(0x24, sense[2 + 12]); // INVALID FIELD IN CDB
    }

    [Fact]
    public async Task ConnectionThatNeverLogsIn_IsDroppedAtTheLoginTimeout()
    {
        await using var fixture = await TargetFixture.StartAsync(o => o.LoginTimeout = TimeSpan.FromMilliseconds(300));
        await using var client = await fixture.ConnectAsync();
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
    }
}
