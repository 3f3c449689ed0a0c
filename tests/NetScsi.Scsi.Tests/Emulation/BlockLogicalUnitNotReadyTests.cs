using NetScsi.Scsi.Storage;
using static NetScsi.Scsi.Tests.Emulation.LuHarness;

namespace NetScsi.Scsi.Tests.Emulation;

/// <summary>A store out of reach for now (network storage) is NOT READY, not a medium error.</summary>
public sealed class BlockLogicalUnitNotReadyTests
{
    [Fact]
    public async Task Read10_StorageNotReady_ReturnsLogicalUnitNotReady()
    {
        LuHarness h = await CreateAsync();
        h.Device.ReadException = new StorageNotReadyException("cluster did not answer");

        AssertCheckCondition(await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512), SenseKey.NotReady, Asc.LogicalUnitNotReadyCauseNotReportable);
    }

    [Fact]
    public async Task Read10_AfterStorageBackFromNotReady_Succeeds()
    {
        LuHarness h = await CreateAsync();
        h.Device.ReadException = new StorageNotReadyException("cluster did not answer");
        await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512);

        h.Device.ReadException = null;

        AssertGood(await h.RunAsync(Cdbs.Read10(0, 1), dataIn: 512));
    }
}
