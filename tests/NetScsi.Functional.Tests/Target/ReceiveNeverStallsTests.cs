using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Pdus;
using NetScsi.Scsi;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;

namespace NetScsi.Functional.Tests.Target;

/// <summary>
/// A task management request or a Logout that has to wait for a write the disk will not let go of waits beside
/// the connection's receive side: a READ sent after it on the same connection is answered at once (issue 13 item 6).
/// </summary>
public sealed class ReceiveNeverStallsTests
{
    private static readonly TimeSpan s_prompt = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task AbortTaskSet_WaitingOnAHeldWrite_DoesNotDelayAReadOnTheConnection()
    {
        var gate = new WriteGate();
        await using var fixture = await StartAsync(gate);
        await using var client = await fixture.LoginAsync();
        await ClearUnitAttentionsAsync(client);

        await client.SendAsync(HeldWrite(client, out _), new byte[512]);
        await gate.Entered.WaitAsync(s_prompt);
        await client.SendAsync(AbortTaskSet(client));
        await client.SendAsync(client.BuildScsiCommand(TestCdbs.Read10(0, 8), 4096, read: true, write: false, 0));

        var (first, _) = await ReceiveSkippingNopAsync(client);
        Assert.Equal(IscsiOpcode.DataIn, Bhs.GetOpcode(first));
        Assert.True(DataInPdu.Parse(first).HasStatus, "the READ is answered in full while ABORT TASK SET still waits");

        gate.Release();
        var (tmf, _) = await ReceiveSkippingNopAsync(client);
        Assert.Equal(IscsiOpcode.TaskManagementResponse, Bhs.GetOpcode(tmf));
        Assert.Equal(TaskManagementResponse.FunctionComplete, TaskManagementResponsePdu.Parse(tmf).Response);
    }

    [Fact]
    public async Task Logout_WaitingOnAHeldWrite_StillAnswersACommandSentAfterIt_AtOnce()
    {
        var gate = new WriteGate();
        await using var fixture = await StartAsync(gate);
        await using var client = await fixture.LoginAsync();
        await ClearUnitAttentionsAsync(client);

        await client.SendAsync(HeldWrite(client, out uint writeItt), new byte[512]);
        await gate.Entered.WaitAsync(s_prompt);
        await client.SendAsync(Logout(client));
        var read = client.BuildScsiCommand(TestCdbs.Read10(0, 8), 4096, read: true, write: false, 0);
        await client.SendAsync(read);

        // RFC 7143 §11.14: no new command after a Logout that ends the session; the one that comes anyway is answered
        // while the Logout still waits for the held write: rejected "waiting for logout" (§11.9.1), not left unread.
        var (first, rejected) = await ReceiveSkippingNopAsync(client);
        Assert.Equal(IscsiOpcode.Reject, Bhs.GetOpcode(first));
        Assert.Equal(RejectReason.WaitingForLogout, RejectPdu.Parse(first).Reason);
        Assert.Equal(read, rejected);

        gate.Release();
        var (write, _) = await ReceiveSkippingNopAsync(client);
        Assert.Equal(IscsiOpcode.ScsiResponse, Bhs.GetOpcode(write));
        Assert.Equal(writeItt, Bhs.GetInitiatorTaskTag(write));
        var (logout, _) = await ReceiveSkippingNopAsync(client);
        Assert.Equal(IscsiOpcode.LogoutResponse, Bhs.GetOpcode(logout));
        Assert.Equal(LogoutResponse.ClosedSuccessfully, LogoutResponsePdu.Parse(logout).Response);
        Assert.True(await client.WaitForCloseAsync(s_prompt), "the target closes the connection after the Logout Response");
    }

    private static Task<TargetFixture> StartAsync(WriteGate gate) => TargetFixture.StartAsync(options =>
        options.Targets[0].Luns.Add(new LunMapping(1, new BlockLogicalUnit(new GatedBlockDevice(new MemoryBlockDevice(1 << 20, 512), gate), new LogicalUnitOptions()))));

    /// <summary>Each LUN reports its power-on unit attention to the first command: TEST UNIT READY takes it.</summary>
    private static async Task ClearUnitAttentionsAsync(RawIscsiClient client)
    {
        foreach (int lun in (int[])[0, 1])
        {
            await client.SendAsync(client.BuildScsiCommand(new byte[6], 0, read: false, write: false, 0, lun: ScsiTargetDevice.EncodeLun(lun)));
            var (response, _) = await ReceiveSkippingNopAsync(client);
            Assert.Equal(IscsiOpcode.ScsiResponse, Bhs.GetOpcode(response));
        }
    }

    /// <summary>A one-block WRITE(10) to LUN 1 with its data immediate: it reaches the disk and stays there.</summary>
    private static byte[] HeldWrite(RawIscsiClient client, out uint itt)
    {
        byte[] header = client.BuildScsiCommand(TestCdbs.Write10(0, 1), 512, read: false, write: true, immediateLength: 512, lun: ScsiTargetDevice.EncodeLun(1));
        itt = Bhs.GetInitiatorTaskTag(header);
        return header;
    }

    private static byte[] AbortTaskSet(RawIscsiClient client)
    {
        var header = new byte[Bhs.Length];
        new TaskManagementRequestPdu
        {
            Immediate = true,
            Function = TaskManagementFunction.AbortTaskSet,
            Lun = ScsiTargetDevice.EncodeLun(1),
            InitiatorTaskTag = client.NextItt++,
            ReferencedTaskTag = Bhs.ReservedTag,
            CmdSN = client.CmdSN,
            ExpStatSN = client.ExpStatSN,
        }.WriteTo(header);
        return header;
    }

    private static byte[] Logout(RawIscsiClient client)
    {
        var header = new byte[Bhs.Length];
        new LogoutRequestPdu
        {
            Immediate = true,
            Reason = LogoutReason.CloseSession,
            InitiatorTaskTag = client.NextItt++,
            CmdSN = client.CmdSN,
            ExpStatSN = client.ExpStatSN,
        }.WriteTo(header);
        return header;
    }

    private static async Task<(byte[] Header, byte[] Data)> ReceiveSkippingNopAsync(RawIscsiClient client)
    {
        while (true)
        {
            var pdu = await client.ReceiveAsync(s_prompt);
            if (Bhs.GetOpcode(pdu.Header) != IscsiOpcode.NopIn)
            {
                return pdu;
            }
        }
    }

    /// <summary>Holds every write until released, whatever its cancellation says: a disk that is slow to stop.</summary>
    private sealed class WriteGate
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => _entered.Task;

        public void Release() => _released.TrySetResult();

        public async ValueTask PassAsync()
        {
            _entered.TrySetResult();
            await _released.Task.ConfigureAwait(false);
        }
    }

    private sealed class GatedBlockDevice(IBlockDevice inner, WriteGate gate) : IBlockDevice
    {
        public int BlockSize => inner.BlockSize;

        public long BlockCount => inner.BlockCount;

        public bool IsReadOnly => inner.IsReadOnly;

        public bool SupportsUnmap => inner.SupportsUnmap;

        public bool UnmappedReadsZero => inner.UnmappedReadsZero;

        public string Identity => "gated:" + inner.Identity;

        public ValueTask ReadAsync(long lba, Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(lba, buffer, cancellationToken);

        public async ValueTask WriteAsync(long lba, ReadOnlyMemory<byte> buffer, bool forceUnitAccess, CancellationToken cancellationToken = default)
        {
            await gate.PassAsync().ConfigureAwait(false);
            await inner.WriteAsync(lba, buffer, forceUnitAccess, CancellationToken.None).ConfigureAwait(false);
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public ValueTask UnmapAsync(long lba, long blockCount, CancellationToken cancellationToken = default) => inner.UnmapAsync(lba, blockCount, cancellationToken);

        public ValueTask<AllocationExtent> GetAllocationStatusAsync(long lba, CancellationToken cancellationToken = default) => inner.GetAllocationStatusAsync(lba, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
