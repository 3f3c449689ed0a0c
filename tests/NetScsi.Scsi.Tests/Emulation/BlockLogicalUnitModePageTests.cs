using NetScsi.Scsi.Emulation;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;

namespace NetScsi.Scsi.Tests.Emulation;

public sealed class BlockLogicalUnitModePageTests
{
    /// <summary>MODE SELECT(6) parameter list: 4-byte header, no block descriptor, the Control mode page.</summary>
    internal static byte[] ControlPageParameters(bool dSense, bool swp = false)
    {
        byte[] p = new byte[4 + 12];
        p[4] = 0x0A;
        p[5] = 0x0A;
        p[6] = (byte)(0x02 | (dSense ? 0x04 : 0));
        p[7] = 0x10;
        p[8] = (byte)(swp ? 0x08 : 0);
        return p;
    }

    internal static byte[] CachingPageParameters(bool wce)
    {
        byte[] p = new byte[4 + 20];
        p[4] = 0x08;
        p[5] = 0x12;
        p[6] = (byte)(wce ? 0x04 : 0);
        return p;
    }

    [Fact]
    public async Task ModeSense6_ReadOnlyLun_SetsWpBit()
    {
        LuHarness h = await CreateAsync(options: new LogicalUnitOptions { ReadOnly = true });

        ScsiTask task = await h.RunAsync(Cdbs.ModeSense6(0x3F), dataIn: 255);

        AssertGood(task);
        Assert.Equal(0x80, DataIn(task)[2] & 0x80);
    }

    [Fact]
    public async Task ModeSense6_WritableLun_ClearsWpAndSetsDpoFua()
    {
        LuHarness h = await CreateAsync();

        ScsiTask task = await h.RunAsync(Cdbs.ModeSense6(0x3F), dataIn: 255);

        Assert.Equal(0x10, DataIn(task)[2]);
    }

    [Fact]
    public async Task ModeSense6_AllPages_ReturnsBlockDescriptorAndThreePages()
    {
        LuHarness h = await CreateAsync(blocks: 1000);

        ScsiTask task = await h.RunAsync(Cdbs.ModeSense6(0x3F), dataIn: 255);
        ReadOnlySpan<byte> d = DataIn(task);

        Assert.Equal(4 + 8 + 20 + 12 + 12, d.Length);
        Assert.Equal(d.Length - 1, d[0]);
        Assert.Equal(8, d[3]);
        Assert.Equal(1000u, U32(d, 4));
        Assert.Equal(512u, U32(d, 8) & 0xFFFFFF);
        Assert.Equal(0x08, d[12]);
        Assert.Equal(0x04, d[14] & 0x04); // WCE on by default
        Assert.Equal(0x0A, d[32]);
        Assert.Equal(0x1C, d[44]);
    }

    [Fact]
    public async Task ModeSense6_Dbd_OmitsBlockDescriptor()
    {
        LuHarness h = await CreateAsync();

        ScsiTask task = await h.RunAsync(Cdbs.ModeSense6(0x08, dbd: true), dataIn: 255);

        Assert.Equal(4 + 20, task.DataInLength);
        Assert.Equal(0, DataIn(task)[3]);
    }

    [Fact]
    public async Task ModeSense10_Llbaa_ReturnsLongBlockDescriptor()
    {
        LuHarness h = await CreateAsync(blocks: 1000);

        ScsiTask task = await h.RunAsync(Cdbs.ModeSense10(0x0A, llbaa: true), dataIn: 1024);
        ReadOnlySpan<byte> d = DataIn(task);

        AssertGood(task);
        Assert.Equal(8 + 16 + 12, d.Length);
        Assert.Equal(d.Length - 2, U16(d, 0));
        Assert.Equal(1, d[4] & 0x01);
        Assert.Equal(16, U16(d, 6));
        Assert.Equal(1000UL, U64(d, 8));
        Assert.Equal(512u, U32(d, 20));
    }

    [Fact]
    public async Task ModeSense6_Changeable_ReportsWceAndDSense()
    {
        LuHarness h = await CreateAsync();

        ScsiTask caching = await h.RunAsync(Cdbs.ModeSense6(0x08, pageControl: 1, dbd: true), dataIn: 255);
        ScsiTask control = await h.RunAsync(Cdbs.ModeSense6(0x0A, pageControl: 1, dbd: true), dataIn: 255);

        Assert.Equal(0x04, DataIn(caching)[6]);
        Assert.Equal(0x04, DataIn(control)[6]);
        Assert.Equal(0x00, DataIn(control)[7]);
    }

    [Fact]
    public async Task ModeSense6_SavedValues_ReturnsSavingParametersNotSupported()
    {
        LuHarness h = await CreateAsync();

        AssertCheckCondition(await h.RunAsync(Cdbs.ModeSense6(0x08, pageControl: 3), dataIn: 255), SenseKey.IllegalRequest, Asc.SavingParametersNotSupported);
    }

    [Fact]
    public async Task ModeSense6_UnknownPage_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();

        AssertCheckCondition(await h.RunAsync(Cdbs.ModeSense6(0x19), dataIn: 255), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
        AssertCheckCondition(await h.RunAsync(Cdbs.ModeSense6(0x08, subpage: 1), dataIn: 255), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task ModeSense6_ShortAllocationLength_Truncates()
    {
        LuHarness h = await CreateAsync();

        ScsiTask task = await h.RunAsync(Cdbs.ModeSense6(0x3F, allocationLength: 4), dataIn: 255);

        Assert.Equal(4, task.DataInLength);
        Assert.Equal(4 + 8 + 44 - 1, DataIn(task)[0]);
    }

    [Fact]
    public async Task ModeSelect6_ClearsWce_WritesBecomeForceUnitAccess()
    {
        LuHarness h = await CreateAsync();
        byte[] p = CachingPageParameters(wce: false);

        AssertGood(await h.RunAsync(Cdbs.ModeSelect6((byte)p.Length), dataOut: p));
        Assert.False(h.Unit.WriteCacheEnabled);
        AssertGood(await h.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512]));

        Assert.Equal(1, h.Device.FuaWrites);
    }

    [Fact]
    public async Task ModeSelect6_ChangesDSense_OtherNexusGetsModeParametersChanged()
    {
        LuHarness h = await CreateAsync();
        await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus); // power-on UA
        byte[] p = ControlPageParameters(dSense: true);

        AssertGood(await h.RunAsync(Cdbs.ModeSelect6((byte)p.Length), dataOut: p));

        Assert.True(h.Unit.DescriptorSense);
        AssertCheckCondition(await h.RunAsync(Cdbs.TestUnitReady(), nexus: OtherNexus), SenseKey.UnitAttention, Asc.ModeParametersChanged);
        AssertGood(await h.RunAsync(Cdbs.TestUnitReady()));
    }

    [Fact]
    public async Task ModeSelect10_ChangesDSense()
    {
        LuHarness h = await CreateAsync();
        byte[] six = ControlPageParameters(dSense: true);
        byte[] p = new byte[8 + 12];
        six.AsSpan(4).CopyTo(p.AsSpan(8));

        AssertGood(await h.RunAsync(Cdbs.ModeSelect10((ushort)p.Length), dataOut: p));
        Assert.True(h.Unit.DescriptorSense);
    }

    [Fact]
    public async Task ModeSelect6_ChangingUnchangeableField_ReturnsInvalidFieldInParameterList()
    {
        LuHarness h = await CreateAsync();
        byte[] p = ControlPageParameters(dSense: false);
        p[7] = 0x00; // QUEUE ALGORITHM MODIFIER is not changeable

        ScsiTask task = await h.RunAsync(Cdbs.ModeSelect6((byte)p.Length), dataOut: p);

        AssertCheckCondition(task, SenseKey.IllegalRequest, Asc.InvalidFieldInParameterList);
        Assert.True(SenseData.TryGetKeySpecific(task.Sense, out SenseKeySpecific sks));
        Assert.False(sks.CommandData);
        Assert.Equal(7, sks.FieldPointerOffset);
    }

    [Fact]
    public async Task ModeSelect6_WrongPageLength_ReturnsInvalidFieldInParameterList()
    {
        LuHarness h = await CreateAsync();
        byte[] p = ControlPageParameters(dSense: false);
        p[5] = 0x09;

        AssertCheckCondition(await h.RunAsync(Cdbs.ModeSelect6((byte)p.Length), dataOut: p), SenseKey.IllegalRequest, Asc.InvalidFieldInParameterList);
    }

    [Fact]
    public async Task ModeSelect6_TruncatedPage_ReturnsParameterListLengthError()
    {
        LuHarness h = await CreateAsync();
        byte[] p = ControlPageParameters(dSense: true)[..10];

        AssertCheckCondition(await h.RunAsync(Cdbs.ModeSelect6((byte)p.Length), dataOut: p), SenseKey.IllegalRequest, Asc.ParameterListLengthError);
        Assert.False(h.Unit.DescriptorSense);
    }

    [Fact]
    public async Task ModeSelect6_SaveParameters_ReturnsInvalidFieldInCdb()
    {
        LuHarness h = await CreateAsync();
        byte[] p = ControlPageParameters(dSense: true);

        AssertCheckCondition(await h.RunAsync(Cdbs.ModeSelect6((byte)p.Length, sp: true), dataOut: p), SenseKey.IllegalRequest, Asc.InvalidFieldInCdb);
    }

    [Fact]
    public async Task ModeSelect6_BlockDescriptorWithOtherBlockLength_ReturnsInvalidFieldInParameterList()
    {
        LuHarness h = await CreateAsync();
        byte[] p = new byte[4 + 8];
        p[3] = 8;
        p[4 + 6] = 0x10; // 4096

        AssertCheckCondition(await h.RunAsync(Cdbs.ModeSelect6((byte)p.Length), dataOut: p), SenseKey.IllegalRequest, Asc.InvalidFieldInParameterList);
    }

    [Fact]
    public async Task ModeSelect6_SameBlockLengthDescriptor_IsGood()
    {
        LuHarness h = await CreateAsync();
        byte[] p = new byte[4 + 8];
        p[3] = 8;
        p[4 + 6] = 0x02; // 512

        AssertGood(await h.RunAsync(Cdbs.ModeSelect6((byte)p.Length), dataOut: p));
    }

    [Fact]
    public async Task LogicalUnitReset_RestoresDefaultModeParameters()
    {
        LuHarness h = await CreateAsync();
        byte[] p = ControlPageParameters(dSense: true);
        AssertGood(await h.RunAsync(Cdbs.ModeSelect6((byte)p.Length), dataOut: p));

        h.Unit.OnEvent(LogicalUnitEvent.LogicalUnitReset, DefaultNexus);

        Assert.False(h.Unit.DescriptorSense);
    }

    [Fact]
    public async Task ModeSelect6_SoftwareWriteProtect_RefusesWritesAndSetsWp()
    {
        LuHarness h = await CreateAsync();
        byte[] p = ControlPageParameters(dSense: false, swp: true);

        AssertGood(await h.RunAsync(Cdbs.ModeSelect6((byte)p.Length), dataOut: p));

        AssertCheckCondition(await h.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512]), SenseKey.DataProtect, Asc.WriteProtected);
        Assert.Equal(0x80, DataIn(await h.RunAsync(Cdbs.ModeSense6(0x0A), dataIn: 255))[2] & 0x80);

        p = ControlPageParameters(dSense: false, swp: false);
        AssertGood(await h.RunAsync(Cdbs.ModeSelect6((byte)p.Length), dataOut: p));
        AssertGood(await h.RunAsync(Cdbs.Write10(0, 1), dataOut: new byte[512]));
    }

    [Fact]
    public async Task ModeSense6_ChangeableControlPage_ReportsSwp()
    {
        LuHarness h = await CreateAsync();

        ScsiTask task = await h.RunAsync(Cdbs.ModeSense6(0x0A, pageControl: 1, dbd: true), dataIn: 255);

        Assert.Equal(0x08, DataIn(task)[8]);
    }
}
