using NetScsi.Scsi.Emulation;

namespace NetScsi.Scsi.Tests.Emulation;

/// <summary>The core contract, for the direct-access block device.</summary>
public sealed class BlockLogicalUnitContractTests : LogicalUnitContractTests
{
    protected override ScsiLogicalUnit CreateUnit() => new BlockLogicalUnit(new TestBlockDevice(1024, 512, thin: true, readOnly: false), new LogicalUnitOptions());

    protected override byte ExpectedDeviceType => PeripheralDeviceType.DirectAccessBlock;
}
