using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Messaging;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;
using static NetScsi.Scsi.Tests.Emulation.PersistentReservationCdbs;

namespace NetScsi.Scsi.Tests.Emulation;

/// <summary>SCSI-2 §18 / RFC 2143 §3: the communications device logical unit and its SEND MESSAGE commands.</summary>
public sealed class CommunicationsLogicalUnitTests
{
    private const ushort Ipv4 = 0x0800;
    private const ushort Ipv6 = 0x86DD;

    private static async Task<(UnitHarness Harness, CommunicationsLogicalUnit Unit, MessageReceiveQueue Queue)> StartAsync(
        CommunicationsLogicalUnitOptions? options = null, int maxMessages = 16, long maxBytes = 1 << 20)
    {
        var queue = new MessageReceiveQueue([Ipv4, Ipv6], maxMessages, maxBytes);
        var unit = new CommunicationsLogicalUnit(queue, options ?? new CommunicationsLogicalUnitOptions());
        return (await UnitHarness.StartAsync(unit, OtherNexus), unit, queue);
    }

    private static byte[] SendMessage10(ushort stream, int length) => Cdb(new SendMessageCdb(stream, (uint)length));

    private static byte[] SendMessage6(int length) => Cdb(new SendMessageCdb(0, (uint)length, SendMessageCdb.Length6));

    private static byte[] Cdb(SendMessageCdb cdb)
    {
        byte[] bytes = new byte[cdb.CdbLength];
        cdb.WriteTo(bytes);
        return bytes;
    }

    private static byte[] Datagram(int length, byte seed = 1)
    {
        byte[] d = new byte[length];
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = (byte)(seed + i);
        }
        return d;
    }

    private static MessageInfo Receive(MessageReceiveQueue queue, out byte[] data)
    {
        byte[] buffer = new byte[ushort.MaxValue];
        Assert.True(queue.TryReceive(buffer, out MessageInfo message));
        data = buffer[..message.Length];
        return message;
    }

    [Fact]
    public async Task SendMessage10_DeliversTheWholeDatagramWithItsStream()
    {
        (UnitHarness h, CommunicationsLogicalUnit unit, MessageReceiveQueue queue) = await StartAsync();
        byte[] datagram = Datagram(1500);

        AssertGood(await h.RunAsync(SendMessage10(Ipv6, datagram.Length), dataOut: datagram));

        Assert.Equal(new MessageInfo(Ipv6, 1500), Receive(queue, out byte[] data));
        Assert.Equal(datagram, data);
        Assert.Equal(new CommunicationsCounters(1, 1500, 0, 0, 0, 0), unit.Counters);
    }

    [Fact]
    public async Task SendMessage10_LargestIpv4Datagram_IsDeliveredUnfragmented()
    {
        (UnitHarness h, _, MessageReceiveQueue queue) = await StartAsync();
        byte[] datagram = Datagram(ushort.MaxValue);

        AssertGood(await h.RunAsync(SendMessage10(Ipv4, datagram.Length), dataOut: datagram));

        Assert.Equal(ushort.MaxValue, Receive(queue, out _).Length);
    }

    [Fact]
    public async Task SendMessage6_DeliversToTheUnselectedStream()
    {
        (UnitHarness h, _, MessageReceiveQueue queue) = await StartAsync();
        byte[] datagram = Datagram(100);

        AssertGood(await h.RunAsync(SendMessage6(datagram.Length), dataOut: datagram));

        Assert.Equal(new MessageInfo(CommunicationsLogicalUnitOptions.Ipv4Stream, 100), Receive(queue, out byte[] data));
        Assert.Equal(datagram, data);
    }

    [Fact]
    public async Task SendMessage6_WithoutAnUnselectedStream_IsNeitherAcceptedNorReported()
    {
        (UnitHarness h, _, _) = await StartAsync(new CommunicationsLogicalUnitOptions { UnselectedStream = null });

        AssertCheckCondition(await h.RunAsync(SendMessage6(10), dataOut: new byte[10]), SenseKey.IllegalRequest, Asc.InvalidCommandOperationCode);
        ScsiTask support = await h.RunAsync(Cdbs.ReportSupportedOperationCodes(ReportSupportedOperationCodesCdb.OneCommand, ScsiOpcode.SendMessage6), dataIn: 64);
        AssertGood(support);
        Assert.Equal(0x01, DataIn(support)[1] & 0x07); // SUPPORT: not supported
    }

    [Fact]
    public async Task SendMessage_ZeroTransferLength_IsGoodAndDeliversNothing()
    {
        (UnitHarness h, _, MessageReceiveQueue queue) = await StartAsync();

        AssertGood(await h.RunAsync(SendMessage10(Ipv4, 0)));

        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task SendMessage_LongerThanTheLargestMessage_IsInvalidFieldInCdbAtTheTransferLength()
    {
        (UnitHarness h, CommunicationsLogicalUnit unit, MessageReceiveQueue queue) = await StartAsync(new CommunicationsLogicalUnitOptions { MaxMessageLength = 9000 });

        ScsiTask task = await h.RunAsync(SendMessage10(Ipv4, 9001), dataOut: new byte[9001]);

        AssertCheckCondition(task, SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
        Assert.True(SenseData.TryGetKeySpecific(task.Sense, out SenseKeySpecific pointer));
        Assert.Equal(SendMessageCdb.TransferLengthOffset10, pointer.FieldPointerOffset);
        Assert.Equal(0, queue.Count);
        Assert.Equal(1, unit.Counters.LengthRefusals);
    }

    [Theory]
    [InlineData(99)]  // the initiator sent less than the CDB announces: half a datagram is no datagram
    [InlineData(101)] // and more than it announces
    public async Task SendMessage_DataOutOtherThanTheTransferLength_IsRefusedAndNothingIsDelivered(int sent)
    {
        (UnitHarness h, _, MessageReceiveQueue queue) = await StartAsync();

        AssertCheckCondition(await h.RunAsync(SendMessage10(Ipv4, 100), dataOut: new byte[sent]), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);

        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task SendMessage_StreamTheSinkDoesNotTake_IsInvalidFieldInCdbAtStreamSelection()
    {
        (UnitHarness h, CommunicationsLogicalUnit unit, MessageReceiveQueue queue) = await StartAsync();

        ScsiTask task = await h.RunAsync(SendMessage10(0x0806, 28), dataOut: new byte[28]); // ARP: no broadcast here (RFC 2143 §4)

        AssertCheckCondition(task, SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
        Assert.True(SenseData.TryGetKeySpecific(task.Sense, out SenseKeySpecific pointer));
        Assert.Equal(SendMessageCdb.StreamSelectionOffset, pointer.FieldPointerOffset);
        Assert.Equal(0, queue.Count);
        Assert.Equal(1, unit.Counters.UnknownStreamRefusals);
    }

    [Fact]
    public async Task Flood_IntoAFullQueue_DropsAndCounts_AndMemoryStaysBounded()
    {
        (UnitHarness h, CommunicationsLogicalUnit unit, MessageReceiveQueue queue) = await StartAsync(maxMessages: 8);
        byte[] datagram = Datagram(1000);

        for (int i = 0; i < 1000; i++)
        {
            AssertGood(await h.RunAsync(SendMessage10(Ipv4, datagram.Length), dataOut: datagram));
        }

        Assert.Equal(8, queue.Count);
        Assert.Equal(8 * 1000L, queue.Bytes);
        Assert.Equal(8, unit.Counters.MessagesDelivered);
        Assert.Equal(992, unit.Counters.MessagesDropped);
    }

    [Theory]
    [InlineData(MessageQueueFullAction.Busy, ScsiStatus.Busy)]
    [InlineData(MessageQueueFullAction.TaskSetFull, ScsiStatus.TaskSetFull)]
    public async Task QueueFull_AnswersTheConfiguredStatus_WithoutSense_AndTakesTheMessageOnceThereIsRoom(MessageQueueFullAction action, ScsiStatus status)
    {
        (UnitHarness h, CommunicationsLogicalUnit unit, MessageReceiveQueue queue) =
            await StartAsync(new CommunicationsLogicalUnitOptions { QueueFullAction = action }, maxMessages: 1);
        AssertGood(await h.RunAsync(SendMessage10(Ipv4, 10), dataOut: Datagram(10, 1)));

        ScsiTask refused = await h.RunAsync(SendMessage10(Ipv4, 10), dataOut: Datagram(10, 2));

        Assert.Equal(status, refused.Status);
        Assert.Equal(0, refused.SenseLength);
        Assert.Equal(1, unit.Counters.QueueFullRefusals);
        Receive(queue, out _);
        AssertGood(await h.RunAsync(SendMessage10(Ipv4, 10), dataOut: Datagram(10, 2)));
        Receive(queue, out byte[] retried);
        Assert.Equal(Datagram(10, 2), retried);
    }

    [Theory]
    [InlineData(ScsiOpcode.GetMessage6)]
    [InlineData(ScsiOpcode.GetMessage10)]
    [InlineData(ScsiOpcode.GetMessage12)]
    public async Task GetMessage_IsNotImplemented_HostsPushDatagramsToEachOther(byte opcode)
    {
        (UnitHarness h, _, _) = await StartAsync();

        byte[] cdb = new byte[CdbDecoder.GetCdbLength(opcode)];
        cdb[0] = opcode;

        AssertCheckCondition(await h.RunAsync(cdb, dataIn: 512), SenseKey.IllegalRequest, Asc.InvalidCommandOperationCode);
    }

    [Fact]
    public async Task SendMessage_FromANexusWithoutAccessUnderAPersistentReservation_Conflicts()
    {
        (UnitHarness h, _, MessageReceiveQueue queue) = await StartAsync();
        AssertGood(await h.RunAsync(PrOut(PersistentReserveOutCdb.Register), dataOut: PrParameters(0, 0xAA)));
        AssertGood(await h.RunAsync(PrOut(PersistentReserveOutCdb.Reserve, PersistentReservationType.WriteExclusive), dataOut: PrParameters(0xAA)));

        ScsiTask task = await h.RunAsync(SendMessage10(Ipv4, 10), dataOut: new byte[10], nexus: OtherNexus);

        Assert.Equal(ScsiStatus.ReservationConflict, task.Status);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void Inquiry_SerialNumber_DerivesFromTheIdentity_StableAcrossInstances()
    {
        var queue = new MessageReceiveQueue([Ipv4], 1, 1);
        var a = new CommunicationsLogicalUnit(queue, new CommunicationsLogicalUnitOptions { Identity = "scsi0" });
        var b = new CommunicationsLogicalUnit(queue, new CommunicationsLogicalUnitOptions { Identity = "scsi0" });
        var c = new CommunicationsLogicalUnit(queue, new CommunicationsLogicalUnitOptions { Identity = "scsi1" });

        Assert.Equal(a.SerialNumber, b.SerialNumber);
        Assert.NotEqual(a.SerialNumber, c.SerialNumber);
    }

    [Fact]
    public void Options_LargestMessageBeyondSendMessage6_AreRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new CommunicationsLogicalUnit(new MessageReceiveQueue([Ipv4], 1, 1), new CommunicationsLogicalUnitOptions { MaxMessageLength = 1 << 24 }));
}
