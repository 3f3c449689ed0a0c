using NetScsi.Scsi;
using NetScsi.Scsi.Emulation;
using NetScsi.Scsi.Storage;
using NetScsi.Transport.Aoe.Ata;
using NetScsi.Transport.Ethernet;

namespace NetScsi.Transport.Aoe.Tests;

/// <summary>An <see cref="AtaDevice"/> over a <see cref="BlockLogicalUnit"/> on a block device, with one initiator's nexus and task.</summary>
internal sealed class AtaHarness
{
    private readonly ScsiTask _task = new();

    public AtaHarness(IBlockDevice device, string model = "NETSCSI VIRTUAL-DISK", string firmware = "0001", bool readOnlyUnit = false)
    {
        Unit = new BlockLogicalUnit(device, new LogicalUnitOptions { ReadOnly = readOnlyUnit });
        Nexus = AoeTransportIdCodec.CreateNexus(new MacAddress(0x52_54_00_ae_00_01), 1);
        Ata = AtaDevice.OpenAsync(Unit, AoeTransportIdCodec.CreateNexus(new MacAddress(0x02_00_00_00_00_99), 1), model, firmware).GetAwaiter().GetResult();
    }

    public BlockLogicalUnit Unit { get; }

    public ItNexus Nexus { get; }

    public AtaDevice Ata { get; }

    public string SerialNumber => Ata.SerialNumber;

    public bool WriteCacheEnabled => Ata.WriteCacheEnabled;

    public ValueTask<AtaCompletion> ExecuteAsync(AoeAtaHeader request, ReadOnlyMemory<byte> requestData, Memory<byte> responseData) =>
        Ata.ExecuteAsync(_task, Nexus, request, requestData, responseData);
}
