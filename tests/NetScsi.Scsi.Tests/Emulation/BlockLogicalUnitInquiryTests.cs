using System.Text;
using NetScsi.Scsi.Emulation;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;

namespace NetScsi.Scsi.Tests.Emulation;

public sealed class BlockLogicalUnitInquiryTests
{
    [Fact]
    public async Task Inquiry_Standard_ReportsIdentityAndVersion()
    {
        LuHarness h = await CreateAsync();

        ScsiTask task = await h.RunAsync(Cdbs.Inquiry(), dataIn: 255);
        ReadOnlySpan<byte> d = DataIn(task);

        AssertGood(task);
        Assert.Equal(96, d.Length);
        Assert.Equal(0x00, d[0]);
        Assert.Equal(0x00, d[1]);
        Assert.Equal(0x06, d[2]);
        Assert.Equal(0x12, d[3]);
        Assert.Equal(91, d[4]);
        Assert.Equal(0x02, d[7] & 0x02);
        Assert.Equal("NETSCSI ", Encoding.ASCII.GetString(d[8..16]));
        Assert.Equal("VIRTUAL-DISK    ", Encoding.ASCII.GetString(d[16..32]));
        Assert.Equal("0001", Encoding.ASCII.GetString(d[32..36]));
        Assert.Equal(0x0460, U16(d, 60));
    }

    [Fact]
    public async Task Inquiry_Removable_SetsRmb()
    {
        LuHarness h = await CreateAsync(options: new LogicalUnitOptions { Removable = true });

        Assert.Equal(0x80, DataIn(await h.RunAsync(Cdbs.Inquiry(), dataIn: 36))[1]);
    }

    [Fact]
    public async Task Inquiry_AllocationLength36_Truncates()
    {
        LuHarness h = await CreateAsync();

        ScsiTask task = await h.RunAsync(Cdbs.Inquiry(allocationLength: 36), dataIn: 255);

        Assert.Equal(36, task.DataInLength);
        Assert.Equal(36, task.CommandTransferLength);
    }

    [Fact]
    public async Task Inquiry_PageCodeWithoutEvpd_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();

        ScsiTask task = await h.RunAsync(Cdbs.Inquiry(evpd: false, page: 0x80), dataIn: 255);

        AssertCheckCondition(task, SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
        Assert.True(SenseData.TryGetKeySpecific(task.Sense, out SenseKeySpecific sks));
        Assert.Equal(2, sks.FieldPointerOffset);
    }

    [Fact]
    public async Task Inquiry_UnsupportedVpdPage_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();

        AssertCheckCondition(await h.RunAsync(Cdbs.Inquiry(evpd: true, page: 0x89), dataIn: 255), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task Inquiry_Vpd00_ListsImplementedPages()
    {
        LuHarness h = await CreateAsync();

        ScsiTask task = await h.RunAsync(Cdbs.Inquiry(evpd: true, page: 0x00), dataIn: 255);

        Assert.Equal(new byte[] { 0, 0, 0, 7, 0x00, 0x80, 0x83, 0x8F, 0xB0, 0xB1, 0xB2 }, DataIn(task).ToArray());
    }

    [Fact]
    public async Task Inquiry_Vpd80_SerialIsStableForTheSameIdentity()
    {
        LuHarness a = await CreateAsync();
        LuHarness b = await CreateAsync();

        ScsiTask ta = await a.RunAsync(Cdbs.Inquiry(evpd: true, page: 0x80), dataIn: 255);
        ScsiTask tb = await b.RunAsync(Cdbs.Inquiry(evpd: true, page: 0x80), dataIn: 255);

        Assert.Equal(0x80, DataIn(ta)[1]);
        Assert.Equal(16, U16(DataIn(ta), 2));
        Assert.Equal(DataIn(ta).ToArray(), DataIn(tb).ToArray());
        Assert.Equal(a.Unit.SerialNumber, Encoding.ASCII.GetString(DataIn(ta)[4..]));
    }

    [Fact]
    public async Task Inquiry_Vpd80_ConfiguredSerial()
    {
        LuHarness h = await CreateAsync(options: new LogicalUnitOptions { SerialNumber = "SN123" });

        ScsiTask task = await h.RunAsync(Cdbs.Inquiry(evpd: true, page: 0x80), dataIn: 255);

        Assert.Equal("SN123", Encoding.ASCII.GetString(DataIn(task)[4..]));
    }

    [Fact]
    public async Task Inquiry_Vpd83_ContainsNaaAndRelativeTargetPort()
    {
        LuHarness h = await CreateAsync(options: new LogicalUnitOptions { TargetPortGroup = 7 });
        var nexus = NetScsi.Iscsi.Session.IscsiTransportIdCodec.CreateNexus("iqn.x", 1, 3);
        await h.RunAsync(Cdbs.TestUnitReady(), nexus: nexus);

        ScsiTask task = await h.RunAsync(Cdbs.Inquiry(evpd: true, page: 0x83), dataIn: 255, nexus: nexus);
        ReadOnlySpan<byte> d = DataIn(task);

        AssertGood(task);
        Assert.Equal(0x83, d[1]);
        Assert.Equal(d.Length - 4, U16(d, 2));
        bool naa = false, t10 = false, port = false, group = false;
        int offset = 4;
        while (offset < d.Length)
        {
            int type = d[offset + 1] & 0x0F;
            int association = (d[offset + 1] >> 4) & 0x03;
            int length = d[offset + 3];
            ReadOnlySpan<byte> designator = d.Slice(offset + 4, length);
            switch (type)
            {
                case 3:
                    naa = true;
                    Assert.Equal(0, association);
                    Assert.Equal(16, length);
                    Assert.Equal(0x6, designator[0] >> 4);
                    break;
                case 1:
                    t10 = true;
                    Assert.Equal("NETSCSI ", Encoding.ASCII.GetString(designator[..8]));
                    break;
                case 4:
                    port = true;
                    Assert.Equal(1, association);
                    Assert.Equal(3, U16(designator, 2));
                    break;
                case 5:
                    group = true;
                    Assert.Equal(7, U16(designator, 2));
                    break;
            }
            offset += 4 + length;
        }
        Assert.True(naa && t10 && port && group);
    }

    [Fact]
    public async Task Inquiry_Vpd83_NaaIsStableAndDiffersPerIdentity()
    {
        var a = new LuHarness(new TestBlockDevice(identity: "disk-a"), new LogicalUnitOptions());
        var a2 = new LuHarness(new TestBlockDevice(identity: "disk-a"), new LogicalUnitOptions());
        var b = new LuHarness(new TestBlockDevice(identity: "disk-b"), new LogicalUnitOptions());

        byte[] Naa(LuHarness h)
        {
            ScsiTask task = h.RunAsync(Cdbs.Inquiry(evpd: true, page: 0x83), dataIn: 255).GetAwaiter().GetResult();
            return DataIn(task).Slice(8, 16).ToArray();
        }

        Assert.Equal(Naa(a), Naa(a2));
        Assert.NotEqual(Naa(a), Naa(b));
    }

    [Fact]
    public async Task Inquiry_VpdB0_ReportsLimits()
    {
        LuHarness h = await CreateAsync(options: new LogicalUnitOptions { MaxTransferLengthBlocks = 128, MaxUnmapBlockDescriptorCount = 9 });

        ScsiTask task = await h.RunAsync(Cdbs.Inquiry(evpd: true, page: 0xB0), dataIn: 255);
        ReadOnlySpan<byte> d = DataIn(task);

        Assert.Equal(64, d.Length);
        Assert.Equal(0x3C, U16(d, 2));
        Assert.Equal(0, d[4] & 0x01); // WSNZ = 0: zero blocks means to the end of the medium
        Assert.Equal(128u, U32(d, 8));
        Assert.Equal(1024u * 1024, U32(d, 20));
        Assert.Equal(9u, U32(d, 24));
        Assert.Equal(128UL, U64(d, 36)); // MAXIMUM WRITE SAME LENGTH follows the maximum transfer length
        Assert.Equal(128u, U32(d, 44)); // MAXIMUM ATOMIC TRANSFER LENGTH
        Assert.Equal(1u, U32(d, 48)); // ATOMIC ALIGNMENT
        Assert.Equal(1u, U32(d, 52)); // ATOMIC TRANSFER LENGTH GRANULARITY
    }

    [Fact]
    public async Task Inquiry_VpdB0_FullyProvisioned_ReportsNoUnmap()
    {
        LuHarness h = await CreateAsync(thin: false);

        ReadOnlySpan<byte> d = DataIn(await h.RunAsync(Cdbs.Inquiry(evpd: true, page: 0xB0), dataIn: 255));

        Assert.Equal(0u, U32(d, 20));
        Assert.Equal(0u, U32(d, 24));
    }

    [Fact]
    public async Task Inquiry_VpdB1_ReportsNonRotatingMedium()
    {
        LuHarness h = await CreateAsync();

        ReadOnlySpan<byte> d = DataIn(await h.RunAsync(Cdbs.Inquiry(evpd: true, page: 0xB1), dataIn: 255));

        Assert.Equal(0xB1, d[1]);
        Assert.Equal(1, U16(d, 4));
    }

    [Fact]
    public async Task Inquiry_VpdB2_ThinLun_ReportsLbpuLbpwsAndThinProvisioning()
    {
        LuHarness h = await CreateAsync();

        ReadOnlySpan<byte> d = DataIn(await h.RunAsync(Cdbs.Inquiry(evpd: true, page: 0xB2), dataIn: 255));

        Assert.Equal(8, d.Length);
        Assert.Equal(0xE4, d[5]);
        Assert.Equal(0x02, d[6] & 0x07);
    }

    [Fact]
    public async Task Inquiry_VpdB2_FullyProvisioned_ReportsNoProvisioning()
    {
        LuHarness h = await CreateAsync(thin: false);

        ReadOnlySpan<byte> d = DataIn(await h.RunAsync(Cdbs.Inquiry(evpd: true, page: 0xB2), dataIn: 255));

        Assert.Equal(0, d[5]);
        Assert.Equal(0, d[6]);
    }
}
