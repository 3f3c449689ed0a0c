namespace NetScsi.Scsi.Emulation;

public abstract partial class ScsiLogicalUnit
{
    private const byte DescriptorFormatBit = 0x01;
    private const int RequestSenseAllocationLengthOffset = 4;

    /// <summary>
    /// SPC-4 §6.39: REQUEST SENSE. Returns (and clears) the oldest pending unit attention of the nexus, else what
    /// the device type reports (NOT READY while it is not ready), else NO SENSE; DESC selects the format.
    /// </summary>
    private void RequestSense(ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        bool descriptor = (cdb[1] & DescriptorFormatBit) != 0;
        int allocationLength = cdb[RequestSenseAllocationLengthOffset];
        Span<byte> sense = stackalloc byte[SenseData.MaxDescriptorLength];
        SenseKey key = SenseKey.NoSense;
        ushort asc = Asc.NoAdditionalSenseInformation;
        SenseKeySpecific keySpecific = default;
        if (task.Nexus is not null && GetNexusState(task.Nexus).TryTake(out ushort unitAttention))
        {
            key = SenseKey.UnitAttention;
            asc = unitAttention;
        }
        else if (TryGetAccessStateSense(task.Nexus, out ushort accessAsc))
        {
            // SPC-4 §5.15.2.4: the NOT READY a refused command would have met through this port.
            key = SenseKey.NotReady;
            asc = accessAsc;
        }
        else if (TryGetDeviceSense(out SenseKey deviceKey, out ushort deviceAsc, out SenseKeySpecific deviceKeySpecific))
        {
            key = deviceKey;
            asc = deviceAsc;
            keySpecific = deviceKeySpecific;
        }
        int length = SenseData.Write(sense, descriptor, key, Asc.Code(asc), Asc.Qualifier(asc), null, keySpecific);
        CompleteDataIn(task, sense[..length], allocationLength);
    }
}
