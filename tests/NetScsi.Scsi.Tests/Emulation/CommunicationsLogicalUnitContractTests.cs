using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Messaging;

namespace NetScsi.Scsi.Tests.Emulation;

/// <summary>The core contract, for the communications device.</summary>
public sealed class CommunicationsLogicalUnitContractTests : LogicalUnitContractTests
{
    protected override ScsiLogicalUnit CreateUnit() =>
        new CommunicationsLogicalUnit(new MessageReceiveQueue([CommunicationsLogicalUnitOptions.Ipv4Stream], 16, 1 << 20), new CommunicationsLogicalUnitOptions());

    protected override byte ExpectedDeviceType => PeripheralDeviceType.Communications;
}
