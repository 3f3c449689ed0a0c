using NetScsi.Iscsi.Pdus;

namespace NetScsi.Functional.Tests.Target;

/// <summary>Task management functions (RFC 7143 §11.5) over the in-memory mover.</summary>
public sealed class TaskManagementTests
{
    private static byte[] Tmf(RawIscsiClient client, TaskManagementFunction function, uint referencedTag, uint refCmdSN, ulong lun = 0)
    {
        var header = new byte[Bhs.Length];
        new TaskManagementRequestPdu
        {
            Immediate = true,
            Function = function,
            Lun = lun,
            InitiatorTaskTag = client.NextItt++,
            ReferencedTaskTag = referencedTag,
            CmdSN = client.CmdSN,
            ExpStatSN = client.ExpStatSN,
            RefCmdSN = refCmdSN,
        }.WriteTo(header);
        return header;
    }

    private static async Task<(byte[] Header, byte[] Data)> ReceiveSkippingNopAsync(RawIscsiClient client, TimeSpan? timeout = null)
    {
        while (true)
        {
            var pdu = await client.ReceiveAsync(timeout);
            if (Bhs.GetOpcode(pdu.Header) != IscsiOpcode.NopIn)
            {
                return pdu;
            }
        }
    }

    [Fact]
    public async Task AbortTask_ForCompletedTask_AnswersTaskDoesNotExist()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync();
        uint cmdSN = client.CmdSN;
        var tur = client.BuildScsiCommand(new byte[6], 0, false, false, 0);
        uint itt = Bhs.GetInitiatorTaskTag(tur);
        await client.SendAsync(tur);
        var (response, _) = await ReceiveSkippingNopAsync(client);
        Assert.Equal(IscsiOpcode.ScsiResponse, Bhs.GetOpcode(response));

        await client.SendAsync(Tmf(client, TaskManagementFunction.AbortTask, itt, cmdSN));
        var (tmf, _) = await ReceiveSkippingNopAsync(client);
        Assert.Equal(TaskManagementResponse.TaskDoesNotExist, TaskManagementResponsePdu.Parse(tmf).Response);
    }

    [Fact]
    public async Task AbortTask_ForWriteAwaitingData_CompletesAndWriteGetsNoResponse()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync("InitialR2T=Yes", "ImmediateData=No");
        var cdb = TestCdbs.Write10(0, 8);
        uint cmdSN = client.CmdSN;
        var write = client.BuildScsiCommand(cdb, 8 * 512, false, true, 0);
        uint itt = Bhs.GetInitiatorTaskTag(write);
        await client.SendAsync(write);
        var (r2t, _) = await ReceiveSkippingNopAsync(client);
        Assert.Equal(IscsiOpcode.ReadyToTransfer, Bhs.GetOpcode(r2t));

        await client.SendAsync(Tmf(client, TaskManagementFunction.AbortTask, itt, cmdSN));
        var (tmf, _) = await ReceiveSkippingNopAsync(client);
        Assert.Equal(IscsiOpcode.TaskManagementResponse, Bhs.GetOpcode(tmf));
        Assert.Equal(TaskManagementResponse.FunctionComplete, TaskManagementResponsePdu.Parse(tmf).Response);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReceiveSkippingNopAsync(client, TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task LogicalUnitReset_OnMissingLun_AnswersLunDoesNotExist()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync();
        await client.SendAsync(Tmf(client, TaskManagementFunction.LogicalUnitReset, Bhs.ReservedTag, 0, lun: 0x0005000000000000));
        var (tmf, _) = await ReceiveSkippingNopAsync(client);
        Assert.Equal(TaskManagementResponse.LunDoesNotExist, TaskManagementResponsePdu.Parse(tmf).Response);
    }

    [Fact]
    public async Task TargetColdReset_AnswersThenDropsTheConnection()
    {
        await using var fixture = await TargetFixture.StartAsync();
        await using var client = await fixture.LoginAsync();
        await client.SendAsync(Tmf(client, TaskManagementFunction.TargetColdReset, Bhs.ReservedTag, 0));
        var (tmf, _) = await ReceiveSkippingNopAsync(client);
        Assert.Equal(TaskManagementResponse.FunctionComplete, TaskManagementResponsePdu.Parse(tmf).Response);
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
    }
}
