using NetScsi.Iscsi.Pdus;

namespace NetScsi.Functional.Tests.Target;

/// <summary>
/// Multiple connections per session on the target (RFC 7143 §4.2.2, §6.3.1, §7.1.2, §11.14), PDU by PDU over the
/// in-memory mover: joining a session by its TSIH, the session-wide CmdSN window, per-connection StatSN, connection
/// allegiance, logout of one connection or of the session, and what ErrorRecoveryLevel 0 does when one connection dies.
/// </summary>
public sealed class MultipleConnectionTests
{
    private static readonly TimeSpan s_closeWait = TimeSpan.FromSeconds(5);

    /// <summary>Opens a session whose leading connection offers MaxConnections=<paramref name="maxConnections"/>.</summary>
    private static async Task<(RawIscsiClient Client, string Negotiated)> OpenAsync(TargetFixture fixture, int maxConnections)
    {
        var client = await fixture.ConnectAsync();
        var keys = await client.LoginAsync(TargetFixture.TargetName, extraKeys: ["MaxConnections=" + maxConnections, "ImmediateData=Yes", "InitialR2T=No"]);
        return (client, keys["MaxConnections"]);
    }

    /// <summary>Adds a connection with <paramref name="cid"/> to <paramref name="leading"/>'s session; its CmdSN follows the session's.</summary>
    private static async Task<RawIscsiClient> JoinAsync(TargetFixture fixture, RawIscsiClient leading, ushort cid, Dictionary<string, string>? answered = null)
    {
        var client = await fixture.ConnectAsync();
        client.Cid = cid;
        client.Tsih = leading.Tsih;
        client.Isid = leading.Isid;
        client.CmdSN = leading.CmdSN;
        var keys = await client.LoginAsync(TargetFixture.TargetName, extraKeys: ["InitialR2T=Yes"]);
        foreach (var pair in keys)
        {
            answered?.Add(pair.Key, pair.Value);
        }
        return client;
    }

    private static async Task<byte> WriteAsync(RawIscsiClient client, uint cmdSN, uint lba, byte[] payload)
    {
        var header = client.BuildScsiCommand(TestCdbs.Write10(lba, (ushort)(payload.Length / 512)), (uint)payload.Length, read: false, write: true, immediateLength: payload.Length, cmdSN: cmdSN);
        await client.SendAsync(header, payload);
        return (await ScsiCommandTests.ReadResultAsync(client, 0)).Status;
    }

    private static async Task<byte[]> ReadAsync(RawIscsiClient client, uint cmdSN, uint lba, int length)
    {
        await client.SendAsync(client.BuildScsiCommand(TestCdbs.Read10(lba, (ushort)(length / 512)), (uint)length, read: true, write: false, immediateLength: 0, cmdSN: cmdSN));
        var result = await ScsiCommandTests.ReadResultAsync(client, length);
        Assert.Equal(0, result.Status);
        return result.Data;
    }

    /// <summary>The first command of a new nexus meets the power-on unit attention; take it out of the way.</summary>
    private static async Task ClearUnitAttentionAsync(RawIscsiClient client, uint cmdSN)
    {
        await client.SendAsync(client.BuildScsiCommand(new byte[6], 0, false, false, 0, cmdSN: cmdSN));
        Assert.Equal(0x02, (await ScsiCommandTests.ReadResultAsync(client, 0)).Status);
    }

    private static async Task<LogoutResponse> LogoutAsync(RawIscsiClient client, uint cmdSN, LogoutReason reason, ushort cid)
    {
        var logout = new byte[Bhs.Length];
        new LogoutRequestPdu { Immediate = true, Reason = reason, Cid = cid, InitiatorTaskTag = 0x7700u + cid, CmdSN = cmdSN, ExpStatSN = client.ExpStatSN }.WriteTo(logout);
        await client.SendAsync(logout);
        while (true)
        {
            var (header, _) = await client.ReceiveAsync();
            if (Bhs.GetOpcode(header) == IscsiOpcode.LogoutResponse)
            {
                return LogoutResponsePdu.Parse(header).Response;
            }
        }
    }

    private static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public async Task SecondConnection_WithTheSessionsTsih_JoinsIt_AndWhatOneWritesTheOtherReads()
    {
        await using var fixture = await TargetFixture.StartAsync();
        var (a, negotiated) = await OpenAsync(fixture, 4);
        await using var leading = a;
        Assert.Equal("4", negotiated);
        var answered = new Dictionary<string, string>();
        await using var b = await JoinAsync(fixture, a, cid: 1, answered);

        // §6.2, §13: a leading-only key on an added connection is irrelevant; the session keeps the leading values.
        Assert.Equal("Irrelevant", answered["InitialR2T"]);
        Assert.Equal(1, fixture.Server.SessionCount);
        Assert.Equal(2, Assert.Single(fixture.Server.GetSessions()).Connections);

        uint cmdSN = a.CmdSN;
        await ClearUnitAttentionAsync(a, cmdSN++);
        byte[] payload = Pattern(8192, 1);
        Assert.Equal(0, await WriteAsync(b, cmdSN++, 40, payload));
        Assert.Equal(payload, await ReadAsync(a, cmdSN++, 40, payload.Length));
        Assert.Equal(payload, await ReadAsync(b, cmdSN++, 40, payload.Length));
    }

    [Fact]
    public async Task EachConnection_HasItsOwnStatSN_WhileTheCmdSNWindowIsTheSessions()
    {
        await using var fixture = await TargetFixture.StartAsync();
        var (a, _) = await OpenAsync(fixture, 2);
        await using var leading = a;
        await using var b = await JoinAsync(fixture, a, cid: 1);
        uint cmdSN = a.CmdSN;
        await ClearUnitAttentionAsync(a, cmdSN++);

        // B sends the later CmdSN first: the target holds it behind the hole (§3.2.2.1) that A's command then fills.
        uint bStatSN = b.ExpStatSN, aStatSN = a.ExpStatSN;
        await b.SendAsync(b.BuildScsiCommand(new byte[6], 0, false, false, 0, cmdSN: cmdSN + 1));
        await a.SendAsync(a.BuildScsiCommand(new byte[6], 0, false, false, 0, cmdSN: cmdSN));
        var (aHeader, _) = await a.ReceiveAsync();
        var (bHeader, _) = await b.ReceiveAsync();
        var aResponse = ScsiResponsePdu.Parse(aHeader);
        var bResponse = ScsiResponsePdu.Parse(bHeader);
        Assert.Equal(0, aResponse.Status);
        Assert.Equal(0, bResponse.Status);
        Assert.Equal(aStatSN, aResponse.StatSN);
        Assert.Equal(bStatSN, bResponse.StatSN);
        // Both responses come after both CmdSNs were received, B's one held until A's arrived.
        Assert.Equal(cmdSN + 2, bResponse.ExpCmdSN);
        Assert.True(SerialNumber.LessOrEqual(cmdSN + 1, aResponse.ExpCmdSN));
    }

    [Fact]
    public async Task ConnectionBeyondTheNegotiatedMaxConnections_IsRefusedTooManyConnections()
    {
        await using var fixture = await TargetFixture.StartAsync();
        var (a, negotiated) = await OpenAsync(fixture, 2);
        await using var leading = a;
        Assert.Equal("2", negotiated);
        await using var b = await JoinAsync(fixture, a, cid: 1);
        var refused = await Assert.ThrowsAsync<IscsiLoginStatusException>(() => JoinAsync(fixture, a, cid: 2));
        Assert.Equal(0x0206, refused.Status);
        Assert.Equal(2, Assert.Single(fixture.Server.GetSessions()).Connections);
    }

    [Fact]
    public async Task TargetConfiguredForOneConnection_AnswersMaxConnectionsOne_AndRefusesASecond()
    {
        await using var fixture = await TargetFixture.StartAsync(o => o.MaxConnections = 1);
        var (a, negotiated) = await OpenAsync(fixture, 4);
        await using var leading = a;
        Assert.Equal("1", negotiated);
        var refused = await Assert.ThrowsAsync<IscsiLoginStatusException>(() => JoinAsync(fixture, a, cid: 1));
        Assert.Equal(0x0206, refused.Status);
    }

    [Fact]
    public async Task LoginWithATsihThatNamesNoSessionOfTheInitiator_IsRefusedSessionDoesNotExist()
    {
        await using var fixture = await TargetFixture.StartAsync();
        var (a, _) = await OpenAsync(fixture, 4);
        await using var leading = a;
        await using var stranger = await fixture.ConnectAsync();
        stranger.Tsih = (ushort)(a.Tsih + 1);
        stranger.Cid = 1;
        var refused = await Assert.ThrowsAsync<IscsiLoginStatusException>(() => stranger.LoginAsync(TargetFixture.TargetName));
        Assert.Equal(0x020a, refused.Status);

        // The right TSIH with another ISID is not this session either.
        await using var otherIsid = await fixture.ConnectAsync();
        otherIsid.Tsih = a.Tsih;
        otherIsid.Isid = a.Isid + 1;
        otherIsid.Cid = 1;
        refused = await Assert.ThrowsAsync<IscsiLoginStatusException>(() => otherIsid.LoginAsync(TargetFixture.TargetName));
        Assert.Equal(0x020a, refused.Status);
        Assert.Equal(1, Assert.Single(fixture.Server.GetSessions()).Connections);
    }

    [Fact]
    public async Task LogoutClosingItsOwnConnection_KeepsTheSessionOnTheOther()
    {
        await using var fixture = await TargetFixture.StartAsync();
        var (a, _) = await OpenAsync(fixture, 4);
        await using var leading = a;
        await using var b = await JoinAsync(fixture, a, cid: 1);
        uint cmdSN = a.CmdSN;
        await ClearUnitAttentionAsync(a, cmdSN++);
        byte[] payload = Pattern(4096, 2);
        Assert.Equal(0, await WriteAsync(b, cmdSN++, 8, payload));

        Assert.Equal(LogoutResponse.ClosedSuccessfully, await LogoutAsync(b, cmdSN, LogoutReason.CloseConnection, cid: 1));
        Assert.True(await b.WaitForCloseAsync(s_closeWait));
        Assert.Equal(payload, await ReadAsync(a, cmdSN++, 8, payload.Length));
        Assert.Equal(1, Assert.Single(fixture.Server.GetSessions()).Connections);
    }

    [Fact]
    public async Task LogoutClosingAnotherConnection_DropsIt_AndTheSessionGoesOn()
    {
        await using var fixture = await TargetFixture.StartAsync();
        var (a, _) = await OpenAsync(fixture, 4);
        await using var leading = a;
        await using var b = await JoinAsync(fixture, a, cid: 1);
        uint cmdSN = a.CmdSN;

        Assert.Equal(LogoutResponse.ClosedSuccessfully, await LogoutAsync(a, cmdSN, LogoutReason.CloseConnection, cid: 1));
        Assert.True(await b.WaitForCloseAsync(s_closeWait));
        Assert.Equal(LogoutResponse.CidNotFound, await LogoutAsync(a, cmdSN, LogoutReason.CloseConnection, cid: 9));
        await ClearUnitAttentionAsync(a, cmdSN++);
        Assert.Equal(1, Assert.Single(fixture.Server.GetSessions()).Connections);
    }

    [Fact]
    public async Task LogoutClosingTheSession_ClosesEveryConnection()
    {
        await using var fixture = await TargetFixture.StartAsync();
        var (a, _) = await OpenAsync(fixture, 4);
        await using var leading = a;
        await using var b = await JoinAsync(fixture, a, cid: 1);
        await using var c = await JoinAsync(fixture, a, cid: 2);

        Assert.Equal(LogoutResponse.ClosedSuccessfully, await LogoutAsync(b, a.CmdSN, LogoutReason.CloseSession, cid: 1));
        Assert.True(await a.WaitForCloseAsync(s_closeWait));
        Assert.True(await b.WaitForCloseAsync(s_closeWait));
        Assert.True(await c.WaitForCloseAsync(s_closeWait));
        Assert.Equal(0, fixture.Server.SessionCount);
    }

    [Fact]
    public async Task OneConnectionLost_AtErrorRecoveryLevelZero_EndsTheWholeSession()
    {
        await using var fixture = await TargetFixture.StartAsync();
        var (a, _) = await OpenAsync(fixture, 4);
        await using var leading = a;
        var b = await JoinAsync(fixture, a, cid: 1);

        // ERL 0 recovers by session (RFC 7143 §7.1.5): the initiator re-opens it, so the survivor must not linger.
        await b.DisposeAsync();
        Assert.True(await a.WaitForCloseAsync(s_closeWait));
        Assert.Equal(0, fixture.Server.SessionCount);
    }

    [Fact]
    public async Task LoginWithACidInUse_ReinstatesThatConnection_AndTheSessionGoesOn()
    {
        await using var fixture = await TargetFixture.StartAsync();
        var (a, _) = await OpenAsync(fixture, 2);
        await using var leading = a;
        await using var b = await JoinAsync(fixture, a, cid: 1);
        await using var again = await JoinAsync(fixture, a, cid: 1);

        Assert.True(await b.WaitForCloseAsync(s_closeWait));
        uint cmdSN = a.CmdSN;
        await ClearUnitAttentionAsync(again, cmdSN++);
        Assert.Equal(2, Assert.Single(fixture.Server.GetSessions()).Connections);
    }

    [Fact]
    public async Task DataOutOnAnotherConnectionThanItsCommand_IsRejected_AndTheCommandCompletesOnItsOwn()
    {
        await using var fixture = await TargetFixture.StartAsync();
        var (a, _) = await OpenAsync(fixture, 2);
        await using var leading = a;
        await using var b = await JoinAsync(fixture, a, cid: 1);
        uint cmdSN = a.CmdSN;
        await ClearUnitAttentionAsync(a, cmdSN++);

        // A write on A with F set and no immediate data: its data comes only when asked for (R2T on A).
        byte[] payload = Pattern(4096, 3);
        var header = a.BuildScsiCommand(TestCdbs.Write10(16, 8), (uint)payload.Length, read: false, write: true, immediateLength: 0, cmdSN: cmdSN++);
        uint itt = Bhs.GetInitiatorTaskTag(header);
        await a.SendAsync(header);
        var (r2tHeader, _) = await a.ReceiveAsync();
        Assert.Equal(IscsiOpcode.ReadyToTransfer, Bhs.GetOpcode(r2tHeader));
        var r2t = ReadyToTransferPdu.Parse(r2tHeader);

        byte[] DataOut(RawIscsiClient on)
        {
            var pdu = new byte[Bhs.Length];
            new DataOutPdu
            {
                Final = true,
                InitiatorTaskTag = itt,
                TargetTransferTag = r2t.TargetTransferTag,
                ExpStatSN = on.ExpStatSN,
                DataSN = 0,
                BufferOffset = 0,
                DataSegmentLength = payload.Length,
            }.WriteTo(pdu);
            return pdu;
        }

        // §7.1.2: the task is allegiant to A; on B its tag names nothing.
        await b.SendAsync(DataOut(b), payload);
        var (rejectHeader, _) = await b.ReceiveAsync();
        Assert.Equal(IscsiOpcode.Reject, Bhs.GetOpcode(rejectHeader));
        Assert.Equal(RejectReason.InvalidPduField, RejectPdu.Parse(rejectHeader).Reason);

        await a.SendAsync(DataOut(a), payload);
        Assert.Equal(0, (await ScsiCommandTests.ReadResultAsync(a, 0)).Status);
        Assert.Equal(payload, await ReadAsync(b, cmdSN++, 16, payload.Length));
    }
}
