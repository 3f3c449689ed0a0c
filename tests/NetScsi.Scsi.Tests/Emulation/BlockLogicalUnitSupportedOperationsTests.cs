using NetScsi.Scsi.Commands;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;

namespace NetScsi.Scsi.Tests.Emulation;

public sealed class BlockLogicalUnitSupportedOperationsTests
{
    [Fact]
    public async Task ReportSupportedOperationCodes_All_ListsReadAndServiceActions()
    {
        LuHarness h = await CreateAsync();

        ScsiTask task = await h.RunAsync(Cdbs.ReportSupportedOperationCodes(0), dataIn: 4096);
        ReadOnlySpan<byte> d = DataIn(task);

        AssertGood(task);
        Assert.Equal((uint)(d.Length - 4), U32(d, 0));
        Assert.Equal(0, (d.Length - 4) % 8);
        bool read10 = false, readCapacity16 = false, unmap = false;
        for (int offset = 4; offset < d.Length; offset += 8)
        {
            if (d[offset] == ScsiOpcode.Read10)
            {
                read10 = true;
                Assert.Equal(10, U16(d, offset + 6));
                Assert.Equal(0, d[offset + 5]);
            }
            if (d[offset] == ScsiOpcode.ServiceActionIn16 && U16(d, offset + 2) == ScsiOpcode.ReadCapacity16ServiceAction)
            {
                readCapacity16 = true;
                Assert.Equal(1, d[offset + 5] & 0x01);
            }
            unmap |= d[offset] == ScsiOpcode.Unmap;
        }
        Assert.True(read10 && readCapacity16 && unmap);
    }

    [Fact]
    public async Task ReportSupportedOperationCodes_FullyProvisioned_OmitsUnmap()
    {
        LuHarness h = await CreateAsync(thin: false);

        ReadOnlySpan<byte> d = DataIn(await h.RunAsync(Cdbs.ReportSupportedOperationCodes(0), dataIn: 4096));

        for (int offset = 4; offset < d.Length; offset += 8)
        {
            Assert.NotEqual(ScsiOpcode.Unmap, d[offset]);
        }
    }

    [Fact]
    public async Task ReportSupportedOperationCodes_WithTimeouts_AppendsTimeoutDescriptors()
    {
        LuHarness h = await CreateAsync();

        ReadOnlySpan<byte> d = DataIn(await h.RunAsync(Cdbs.ReportSupportedOperationCodes(0, rctd: true), dataIn: 8192));

        Assert.Equal(0, (d.Length - 4) % 20);
        Assert.Equal(0x02, d[4 + 5] & 0x02);
        Assert.Equal(0x0A, U16(d, 4 + 8));
    }

    [Fact]
    public async Task ReportSupportedOperationCodes_OneCommand_ReturnsUsageData()
    {
        LuHarness h = await CreateAsync();

        ScsiTask task = await h.RunAsync(Cdbs.ReportSupportedOperationCodes(1, ScsiOpcode.Write16), dataIn: 64);
        ReadOnlySpan<byte> d = DataIn(task);

        AssertGood(task);
        Assert.Equal(0x03, d[1] & 0x07);
        Assert.Equal(16, U16(d, 2));
        Assert.Equal(ScsiOpcode.Write16, d[4]);
        Assert.Equal(4 + 16, d.Length);
    }

    [Fact]
    public async Task ReportSupportedOperationCodes_OneCommandWithServiceAction_ReturnsUsageData()
    {
        LuHarness h = await CreateAsync();

        ReadOnlySpan<byte> d = DataIn(await h.RunAsync(Cdbs.ReportSupportedOperationCodes(2, ScsiOpcode.ServiceActionIn16, ScsiOpcode.GetLbaStatusServiceAction), dataIn: 64));

        Assert.Equal(0x03, d[1] & 0x07);
        Assert.Equal(ScsiOpcode.ServiceActionIn16, d[4]);
    }

    [Fact]
    public async Task ReportSupportedOperationCodes_UnsupportedCommand_ReportsNotSupported()
    {
        LuHarness h = await CreateAsync();

        ScsiTask task = await h.RunAsync(Cdbs.ReportSupportedOperationCodes(1, 0x3C), dataIn: 64);

        AssertGood(task);
        Assert.Equal(0x01, DataIn(task)[1] & 0x07);
        Assert.Equal(4, task.DataInLength);
    }

    [Fact]
    public async Task ReportSupportedOperationCodes_ServiceActionOpcodeWithOption1_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();

        AssertCheckCondition(await h.RunAsync(Cdbs.ReportSupportedOperationCodes(1, ScsiOpcode.ServiceActionIn16), dataIn: 64), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
        AssertCheckCondition(await h.RunAsync(Cdbs.ReportSupportedOperationCodes(2, ScsiOpcode.Read10), dataIn: 64), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
        AssertCheckCondition(await h.RunAsync(Cdbs.ReportSupportedOperationCodes(5), dataIn: 64), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task MaintenanceIn_OtherServiceAction_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();
        byte[] cdb = Cdbs.ReportSupportedOperationCodes(0);
        cdb[1] = 0x0A; // REPORT TARGET PORT GROUPS

        AssertCheckCondition(await h.RunAsync(cdb, dataIn: 64), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task Read10_FlaggedAsWrite_MovesNoDataIn()
    {
        // libiscsi test_read10_invalid: a READ flagged as a write on the transport must not fail or send data-in.
        LuHarness h = await CreateAsync();

        ScsiTask task = await h.RunAsync(Cdbs.Read10(0, 1), dataOut: new byte[512]);

        AssertGood(task);
        Assert.Equal(0, task.DataInLength);
        Assert.Equal(512, task.CommandTransferLength);
    }
}
