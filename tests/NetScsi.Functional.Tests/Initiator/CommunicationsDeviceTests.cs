using NetScsi.Iscsi.Configuration;
using NetScsi.Iscsi.Initiator;
using NetScsi.Scsi;
using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Messaging;

namespace NetScsi.Functional.Tests.Initiator;

/// <summary>A communications device logical unit behind NetScsi's target, driven by NetScsi's initiator over iSCSI.</summary>
public sealed class CommunicationsDeviceTests
{
    private const int CommunicationsLun = 1;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    private static async Task<(InitiatorTarget Target, MessageReceiveQueue Queue)> StartAsync(MessageQueueFullAction action = MessageQueueFullAction.DropAndCount, int maxMessages = 16)
    {
        var queue = new MessageReceiveQueue([CommunicationsLogicalUnitOptions.Ipv4Stream], maxMessages, 1 << 20);
        var unit = new CommunicationsLogicalUnit(queue, new CommunicationsLogicalUnitOptions { QueueFullAction = action });
        InitiatorTarget target = await InitiatorTarget.StartAsync((_, definition) => definition.Luns.Add(new LunMapping(CommunicationsLun, unit)));
        return (target, queue);
    }

    private static async Task<ScsiResult> SendMessageAsync(IscsiSession session, byte[] datagram)
    {
        byte[] cdb = new byte[SendMessageCdb.Length10];
        new SendMessageCdb(CommunicationsLogicalUnitOptions.Ipv4Stream, (uint)datagram.Length).WriteTo(cdb);
        for (int attempt = 0; ; attempt++)
        {
            ScsiResult result = await session.ExecuteAsync(CommunicationsLun, cdb, default, datagram).AsTask().WaitAsync(s_timeout);
            if (result.SenseKey != SenseKey.UnitAttention || attempt == 3)
            {
                return result;
            }
        }
    }

    [Fact]
    public async Task Inquiry_ThroughTheTarget_ReportsACommunicationsDeviceBesideTheDisk()
    {
        (InitiatorTarget target, _) = await StartAsync();
        await using (target)
        {
            await using IscsiSession session = await target.ConnectAsync();

            Assert.Equal([0UL, CommunicationsLun], await session.ReportLunsAsync().WaitAsync(s_timeout));
            Assert.Equal(PeripheralDeviceType.Communications, (await session.InquiryAsync(CommunicationsLun).WaitAsync(s_timeout)).PeripheralDeviceType);
            Assert.Equal(PeripheralDeviceType.DirectAccessBlock, (await session.InquiryAsync(0).WaitAsync(s_timeout)).PeripheralDeviceType);
        }
    }

    [Fact]
    public async Task SendMessage10_OverIscsi_DeliversTheDatagramToTheQueue()
    {
        (InitiatorTarget target, MessageReceiveQueue queue) = await StartAsync();
        await using (target)
        {
            await using IscsiSession session = await target.ConnectAsync();
            byte[] datagram = new byte[ushort.MaxValue];
            new Random(5).NextBytes(datagram);

            ScsiResult result = await SendMessageAsync(session, datagram);

            Assert.True(result.IsGood, result.Describe());
            byte[] received = new byte[ushort.MaxValue];
            MessageInfo message = await queue.ReceiveAsync(received).AsTask().WaitAsync(s_timeout);
            Assert.Equal(new MessageInfo(CommunicationsLogicalUnitOptions.Ipv4Stream, datagram.Length), message);
            Assert.Equal(datagram, received);
        }
    }

    [Fact]
    public async Task FullQueue_WithBusy_ReachesTheInitiatorAsBusy()
    {
        (InitiatorTarget target, _) = await StartAsync(MessageQueueFullAction.Busy, maxMessages: 1);
        await using (target)
        {
            await using IscsiSession session = await target.ConnectAsync();
            Assert.True((await SendMessageAsync(session, new byte[100])).IsGood);

            ScsiResult refused = await SendMessageAsync(session, new byte[100]);

            Assert.Equal(ScsiStatus.Busy, refused.Status);
        }
    }
}
