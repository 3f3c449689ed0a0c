using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Messaging;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;

namespace NetScsi.Scsi.Tests.Emulation;

/// <summary>READ MESSAGE DATA (vendor C1h): a communications unit's registered message data pulled by initiators.</summary>
public sealed class ReadMessageDataTests
{
    private sealed class Source(uint handle, byte[] data) : IMessageDataSource
    {
        public bool TryRead(uint h, uint offset, Span<byte> destination)
        {
            if (h != handle || offset + (long)destination.Length > data.Length)
            {
                return false;
            }
            data.AsSpan((int)offset, destination.Length).CopyTo(destination);
            return true;
        }
    }

    private static byte[] Cdb(uint handle, uint offset, uint length)
    {
        byte[] cdb = new byte[ReadMessageDataCdb.Length];
        new ReadMessageDataCdb(handle, offset, length).WriteTo(cdb);
        return cdb;
    }

    private static async Task<UnitHarness> StartAsync(IMessageDataSource? source)
    {
        var unit = new CommunicationsLogicalUnit(new MessageReceiveQueue([0x88B5], 4, 1 << 16), new CommunicationsLogicalUnitOptions
        {
            DataSource = source,
            MaxReadLength = 4096,
        });
        return await UnitHarness.StartAsync(unit, OtherNexus);
    }

    [Fact]
    public void Cdb_RoundTrips_WithItsFieldsBigEndian()
    {
        byte[] cdb = Cdb(0x01020304, 0x0A0B0C0D, 0x00100000);
        Assert.Equal([0xC1, 0, 1, 2, 3, 4, 0x0A, 0x0B, 0x0C, 0x0D, 0x00, 0x10, 0x00, 0x00, 0, 0], cdb);
        Assert.True(ReadMessageDataCdb.TryParse(cdb, out ReadMessageDataCdb parsed));
        Assert.Equal(new ReadMessageDataCdb(0x01020304, 0x0A0B0C0D, 0x00100000), parsed);
        Assert.False(ReadMessageDataCdb.TryParse(cdb.AsSpan(0, 10), out _));
    }

    [Fact]
    public async Task ReadMessageData_ReturnsTheRegisteredRange()
    {
        byte[] data = [.. Enumerable.Range(0, 3000).Select(i => (byte)i)];
        UnitHarness h = await StartAsync(new Source(7, data));
        ScsiTask task = await h.RunAsync(Cdb(7, 1000, 500), dataIn: 500);
        AssertGood(task);
        Assert.Equal(500, task.DataInLength);
        Assert.Equal(data[1000..1500], task.Buffer.Span[..500].ToArray());
    }

    [Fact]
    public async Task ReadMessageData_OfAnUnknownHandleOrPastTheEnd_IsInvalidFieldInCdb()
    {
        UnitHarness h = await StartAsync(new Source(7, new byte[100]));
        AssertCheckCondition(await h.RunAsync(Cdb(8, 0, 10), dataIn: 10), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
        AssertCheckCondition(await h.RunAsync(Cdb(7, 95, 10), dataIn: 10), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
        AssertCheckCondition(await h.RunAsync(Cdb(7, 0, 8192), dataIn: 8192), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task ReadMessageData_WithoutADataSource_IsAnInvalidOperationCode()
    {
        UnitHarness h = await StartAsync(null);
        AssertCheckCondition(await h.RunAsync(Cdb(7, 0, 10), dataIn: 10), SenseKey.IllegalRequest, Asc.InvalidCommandOperationCode);
    }
}
