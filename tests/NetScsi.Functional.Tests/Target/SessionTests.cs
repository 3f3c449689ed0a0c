using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Login;
using NetScsi.Iscsi.Pdus;
using NetScsi.Scsi.Commands;

namespace NetScsi.Functional.Tests.Target;

/// <summary>Digests, pings, reinstatement and CHAP across the wire (in-memory mover).</summary>
public sealed class SessionTests
{
    private static async Task<(byte[] Header, byte[] Data)> ReceiveSkippingNopAsync(RawIscsiClient client)
    {
        while (true)
        {
            var pdu = await client.ReceiveAsync();
            if (Bhs.GetOpcode(pdu.Header) != IscsiOpcode.NopIn)
            {
                return pdu;
            }
        }
    }

    private static byte[] Rw10(byte opcode, uint lba, ushort blocks) => TestCdbs.Block(opcode, lba, blocks);

    [Fact]
    public async Task HeaderAndDataDigests_WriteAndReadBackThroughCrc32C()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();
        client.HeaderDigest = true;
        client.DataDigest = true;
        var negotiated = await client.LoginAsync(TargetFixture.TargetName, extraKeys: ["ImmediateData=Yes", "InitialR2T=No", "FirstBurstLength=65536"]);
        Assert.Equal("CRC32C", negotiated["HeaderDigest"]);
        Assert.Equal("CRC32C", negotiated["DataDigest"]);
        Assert.True(client.HeaderDigest && client.DataDigest);

        await client.SendAsync(client.BuildScsiCommand(new byte[6], 0, false, false, 0));
        await ReceiveSkippingNopAsync(client); // power-on unit attention

        var payload = new byte[4096];
        new Random(3).NextBytes(payload);
        await client.SendAsync(client.BuildScsiCommand(Rw10(ScsiOpcode.Write10, 8, 8), 4096, false, true, 4096), payload);
        var (written, _) = await ReceiveSkippingNopAsync(client);
        Assert.Equal(0, ScsiResponsePdu.Parse(written).Status);

        await client.SendAsync(client.BuildScsiCommand(Rw10(ScsiOpcode.Read10, 8, 8), 4096, true, false, 0));
        var (dataIn, data) = await ReceiveSkippingNopAsync(client);
        Assert.Equal(IscsiOpcode.DataIn, Bhs.GetOpcode(dataIn));
        Assert.True(DataInPdu.Parse(dataIn).HasStatus);
        Assert.Equal(payload, data);
    }

    [Fact]
    public async Task CorruptDataDigest_IsRejectedAndConnectionDropped()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();
        client.HeaderDigest = true;
        client.DataDigest = true;
        await client.LoginAsync(TargetFixture.TargetName);
        var ping = new byte[Bhs.Length];
        var data = new byte[16];
        new NopOutPdu { Immediate = true, InitiatorTaskTag = 5, TargetTransferTag = Bhs.ReservedTag, CmdSN = client.CmdSN, ExpStatSN = client.ExpStatSN, DataSegmentLength = data.Length }.WriteTo(ping);
        // Header + header digest + data + a wrong data digest.
        var wire = new byte[Bhs.Length + 4 + data.Length + 4];
        ping.CopyTo(wire, 0);
        NetScsi.Iscsi.Digests.Crc32C.Write(wire.AsSpan(Bhs.Length), NetScsi.Iscsi.Digests.Crc32C.Compute(ping));
        wire[^1] ^= 0xFF;
        await client.SendRawAsync(wire);
        var (reply, _) = await client.ReceiveAsync();
        Assert.Equal(IscsiOpcode.Reject, Bhs.GetOpcode(reply));
        Assert.Equal(RejectReason.DataDigestError, RejectPdu.Parse(reply).Reason);
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task UnansweredNopInPingsWithCommandOutstanding_DropTheDeadConnection()
    {
        await using var fixture = await TargetFixture.StartAsync(o =>
        {
            o.NopInInterval = TimeSpan.FromMilliseconds(200);
            o.NopInTimeout = TimeSpan.FromMilliseconds(600);
        });
        await using var client = await fixture.LoginAsync("InitialR2T=Yes", "ImmediateData=No");
        // A write whose data never comes keeps a command outstanding.
        var cdb = TestCdbs.Write10(0, 1);
        await client.SendAsync(client.BuildScsiCommand(cdb, 512, false, true, 0));
        var (r2t, _) = await client.ReceiveAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(IscsiOpcode.ReadyToTransfer, Bhs.GetOpcode(r2t));
        var (ping, _) = await client.ReceiveAsync(TimeSpan.FromSeconds(5));
        var nopIn = NopInPdu.Parse(ping);
        Assert.Equal(IscsiOpcode.NopIn, Bhs.GetOpcode(ping));
        Assert.Equal(Bhs.ReservedTag, nopIn.InitiatorTaskTag);
        Assert.NotEqual(Bhs.ReservedTag, nopIn.TargetTransferTag);
        // Never answer: the target must give up on the connection.
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task UnansweredNopInPingsOnIdleConnection_KeepTheConnection()
    {
        await using var fixture = await TargetFixture.StartAsync(o =>
        {
            o.NopInInterval = TimeSpan.FromMilliseconds(100);
            o.NopInTimeout = TimeSpan.FromMilliseconds(300);
        });
        await using var client = await fixture.LoginAsync();
        var (ping, _) = await client.ReceiveAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(IscsiOpcode.NopIn, Bhs.GetOpcode(ping));
        Assert.False(await client.WaitForCloseAsync(TimeSpan.FromSeconds(1)));
        Assert.Equal(1, fixture.Server.SessionCount);
    }

    [Fact]
    public async Task AnsweredNopInPings_KeepTheConnection()
    {
        await using var fixture = await TargetFixture.StartAsync(o =>
        {
            o.NopInInterval = TimeSpan.FromMilliseconds(100);
            o.NopInTimeout = TimeSpan.FromMilliseconds(400);
        });
        await using var client = await fixture.LoginAsync();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(1.5);
        while (DateTime.UtcNow < until)
        {
            var (ping, _) = await client.ReceiveAsync(TimeSpan.FromSeconds(2));
            var nopIn = NopInPdu.Parse(ping);
            var reply = new byte[Bhs.Length];
            new NopOutPdu { Immediate = true, InitiatorTaskTag = Bhs.ReservedTag, TargetTransferTag = nopIn.TargetTransferTag, CmdSN = client.CmdSN, ExpStatSN = client.ExpStatSN }.WriteTo(reply);
            await client.SendAsync(reply);
        }
        Assert.Equal(1, fixture.Server.SessionCount);
    }

    [Fact]
    public async Task LoginWithSameIsid_ReinstatesAndClosesTheOldSession()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var first = await fixture.LoginAsync();
        await using var second = await fixture.LoginAsync();
        Assert.True(await first.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(1, fixture.Server.SessionCount);
    }

    [Fact]
    public async Task ChapLogin_WithRightSecretSucceeds_WithWrongSecretFailsWithAuthenticationFailure()
    {
        await using var fixture = await TargetFixture.StartAsync(o => o.Targets[0].Chap = new ChapCredentials("alice", "alice-secret-123"));
        Assert.Equal(0, await ChapLoginStatusAsync(fixture, "alice-secret-123"));
        Assert.Equal(0x0201, await ChapLoginStatusAsync(fixture, "wrong-secret-456"));
    }

    private static async Task<int> ChapLoginStatusAsync(TargetFixture fixture, string secret)
    {
        await using var client = await fixture.ConnectAsync();
        var first = await client.LoginStepAsync(0, 1, false, RawIscsiClient.Keys(
            "InitiatorName=iqn.2026-11.org.netscsi:chap-test", "TargetName=" + TargetFixture.TargetName, "SessionType=Normal", "AuthMethod=CHAP,None"));
        Assert.Equal(0, first.StatusClass);
        Dictionary<string, string> challenge = new();
        var second = await client.LoginStepAsync(0, 1, false, RawIscsiClient.Keys("CHAP_A=5"), onKeys: k => challenge = k);
        Assert.Equal(0, second.StatusClass);
        byte id = byte.Parse(challenge["CHAP_I"]);
        var challengeBytes = Convert.FromHexString(challenge["CHAP_C"][2..]);
        var response = Chap.ComputeResponse(ChapAlgorithm.Md5, id, secret, challengeBytes);
        var third = await client.LoginStepAsync(0, 1, true, RawIscsiClient.Keys("CHAP_N=alice", "CHAP_R=0x" + Convert.ToHexString(response)));
        return (third.StatusClass << 8) | third.StatusDetail;
    }
}
