using NetScsi.Iscsi.Pdus;

namespace NetScsi.Functional.Tests.Target;

/// <summary>Malformed and out-of-place input gets a precise answer and never hurts other sessions.</summary>
public sealed class HostileInputTests
{
    [Fact]
    public async Task UnknownOpcode_IsRejectedAsCommandNotSupported()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync();
        var header = new byte[Bhs.Length];
        header[0] = 0x1C; // not an initiator opcode
        header[1] = 0x80;
        await client.SendAsync(header);
        var (reply, data) = await client.ReceiveAsync();
        Assert.Equal(IscsiOpcode.Reject, Bhs.GetOpcode(reply));
        Assert.Equal(RejectReason.CommandNotSupported, RejectPdu.Parse(reply).Reason);
        Assert.Equal(header, data);
    }

    [Fact]
    public async Task DataSegmentAboveNegotiatedMaximum_IsRejectedAndConnectionDropped()
    {
        await using var fixture = await TargetFixture.StartAsync(o => o.MaxRecvDataSegmentLength = 8192);
        await using var client = await fixture.LoginAsync();
        var header = client.BuildScsiCommand(new byte[10], 65536, false, true, immediateLength: 0);
        // Claim a 1 MiB data segment but send only the header: the target must not wait for the data.
        header[5] = 0x10;
        header[6] = 0;
        header[7] = 0;
        await client.SendRawAsync(header);
        var (reply, _) = await client.ReceiveAsync();
        Assert.Equal(IscsiOpcode.Reject, Bhs.GetOpcode(reply));
        Assert.Equal(RejectReason.ProtocolError, RejectPdu.Parse(reply).Reason);
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task FullFeaturePduDuringLogin_FailsLoginWithInvalidDuringLogin()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();
        await client.SendAsync(client.BuildScsiCommand(new byte[6], 0, false, false, 0));
        var (reply, _) = await client.ReceiveAsync();
        Assert.Equal(IscsiOpcode.LoginResponse, Bhs.GetOpcode(reply));
        var response = LoginResponsePdu.Parse(reply);
        Assert.Equal(0x02, response.StatusClass);
        Assert.Equal(0x0B, response.StatusDetail);
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task TruncatedPduThenClose_DoesNotDisturbOtherSessions()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using (var broken = await fixture.LoginAsync())
        {
            var header = broken.BuildScsiCommand(new byte[10], 0, false, false, 0);
            await broken.SendRawAsync(header.AsMemory(0, 20));
        }
        await using var healthy = await fixture.LoginAsync();
        var ping = new byte[Bhs.Length];
        new NopOutPdu { Immediate = true, InitiatorTaskTag = 9, TargetTransferTag = Bhs.ReservedTag, CmdSN = healthy.CmdSN, ExpStatSN = healthy.ExpStatSN }.WriteTo(ping);
        await healthy.SendAsync(ping);
        var (reply, _) = await healthy.ReceiveAsync();
        Assert.Equal(IscsiOpcode.NopIn, Bhs.GetOpcode(reply));
    }

    [Fact]
    public async Task CommandWithCmdSNBeyondWindow_IsDroppedAndSessionKeepsWorking()
    {
        await using var fixture = await TargetFixture.StartAsync(o => o.QueueDepth = 4);
        await using var client = await fixture.LoginAsync();
        var tooHigh = client.BuildScsiCommand(new byte[6], 0, false, false, 0, cmdSN: client.CmdSN + 100);
        await client.SendAsync(tooHigh);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ReceiveAsync(TimeSpan.FromMilliseconds(500)));

        var ping = new byte[Bhs.Length];
        new NopOutPdu { Immediate = true, InitiatorTaskTag = 10, TargetTransferTag = Bhs.ReservedTag, CmdSN = client.CmdSN, ExpStatSN = client.ExpStatSN }.WriteTo(ping);
        await client.SendAsync(ping);
        var (reply, _) = await client.ReceiveAsync();
        Assert.Equal(IscsiOpcode.NopIn, Bhs.GetOpcode(reply));
    }

    [Fact]
    public async Task ConnectionDroppedMidDataOut_LeavesTargetServing()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using (var broken = await fixture.LoginAsync("InitialR2T=Yes"))
        {
            var cdb = TestCdbs.Write10(0, 64);
            await broken.SendAsync(broken.BuildScsiCommand(cdb, 64 * 512, false, true, 0));
            var (r2t, _) = await broken.ReceiveAsync();
            Assert.Equal(IscsiOpcode.ReadyToTransfer, Bhs.GetOpcode(r2t));
            // Go away without sending the data.
        }
        for (int i = 0; i < 50 && fixture.Server.SessionCount > 0; i++)
        {
            await Task.Delay(20);
        }
        Assert.Equal(0, fixture.Server.SessionCount);
        await using var healthy = await fixture.LoginAsync();
        Assert.Equal(1, fixture.Server.SessionCount);
    }

    [Theory]
    [InlineData("InitiatorName=iqn.2026-11.org.netscsi:dup\0InitiatorName=iqn.2026-11.org.netscsi:dup2\0TargetName=" + TargetFixture.TargetName + "\0AuthMethod=None\0")]
    [InlineData("InitiatorName=iqn.2026-11.org.netscsi:bad\0TargetName" + "\0AuthMethod=None\0")]
    [InlineData("InitiatorName=iqn.2026-11.org.netscsi:bad\0=value\0")]
    public async Task DuplicateOrMalformedLoginKeys_FailLoginWithInitiatorError(string keys)
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();
        var response = await client.LoginStepAsync(0, 1, true, keys);
        Assert.Equal(0x02, response.StatusClass);
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
        // The target keeps serving everyone else.
        await using var healthy = await fixture.LoginAsync();
        Assert.Equal(1, fixture.Server.SessionCount);
    }

    [Fact]
    public async Task UnknownLoginKey_IsAnsweredNotUnderstood()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.ConnectAsync();
        Dictionary<string, string> answer = new();
        var response = await client.LoginStepAsync(0, 1, true, RawIscsiClient.Keys(
            "InitiatorName=iqn.2026-11.org.netscsi:x", "TargetName=" + TargetFixture.TargetName, "AuthMethod=None", "X-com.example.Unknown=1"), onKeys: k => answer = k);
        Assert.Equal(0, response.StatusClass);
        Assert.Equal("NotUnderstood", answer["X-com.example.Unknown"]);
    }

    [Fact]
    public async Task WritesAnnouncingMoreThanTheSessionBudget_GetTaskSetFullInsteadOfMemory()
    {
        await using var fixture = await TargetFixture.StartAsync(o => o.SessionBufferBudget = 1024 * 1024);
        await using var client = await fixture.LoginAsync("InitialR2T=Yes", "ImmediateData=No");
        var cdb = TestCdbs.Write10(0, 2048); // 1 MiB
        await client.SendAsync(client.BuildScsiCommand(cdb, 1024 * 1024, false, true, 0));
        var (first, _) = await client.ReceiveAsync();
        Assert.Equal(IscsiOpcode.ReadyToTransfer, Bhs.GetOpcode(first));

        // The second 1 MiB write does not fit while the first holds its buffer.
        await client.SendAsync(client.BuildScsiCommand(cdb, 1024 * 1024, false, true, 0));
        var (second, _) = await client.ReceiveAsync();
        Assert.Equal(IscsiOpcode.ScsiResponse, Bhs.GetOpcode(second));
        Assert.Equal((byte)NetScsi.Scsi.ScsiStatus.TaskSetFull, ScsiResponsePdu.Parse(second).Status);
    }
}
