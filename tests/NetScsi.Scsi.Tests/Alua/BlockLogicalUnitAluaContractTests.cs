using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Tests.Emulation;

namespace NetScsi.Scsi.Tests.Alua;

/// <summary>The core contract for a block unit with ALUA on (both transitions, its ports active/optimized, a peer group).</summary>
public sealed class BlockLogicalUnitAluaContractTests : LogicalUnitContractTests
{
    protected override ScsiLogicalUnit CreateUnit() =>
        new BlockLogicalUnit(new TestBlockDevice(1024, 512, thin: true, readOnly: false), new LogicalUnitOptions { Alua = AluaTests.Registry() });

    protected override byte ExpectedDeviceType => PeripheralDeviceType.DirectAccessBlock;
}
