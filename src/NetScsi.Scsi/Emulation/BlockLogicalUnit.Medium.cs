using System.Runtime.CompilerServices;

namespace NetScsi.Scsi.Emulation;

public sealed partial class BlockLogicalUnit
{
    /// <summary>
    /// SPC-4 §6.39: REQUEST SENSE. Returns (and clears) the oldest pending unit attention of the nexus,
    /// else NOT READY when the medium is gone, else NO SENSE; DESC selects the format.
    /// </summary>
    private void RequestSense(ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        bool descriptor = (cdb[1] & 0x01) != 0;
        int allocationLength = cdb[4];
        Span<byte> sense = stackalloc byte[SenseData.MaxDescriptorLength];
        SenseKey key = SenseKey.NoSense;
        ushort asc = Asc.NoAdditionalSenseInformation;
        SenseKeySpecific keySpecific = default;
        if (task.Nexus is not null && GetNexusState(task.Nexus).TryTake(out ushort unitAttention))
        {
            key = SenseKey.UnitAttention;
            asc = unitAttention;
        }
        else if (_sanitize is { IsCompleted: false } sanitize)
        {
            // SBC-4 §4.11.2: NOT READY, SANITIZE IN PROGRESS, with the progress indication.
            key = SenseKey.NotReady;
            asc = Asc.LogicalUnitNotReadySanitizeInProgress;
            keySpecific = SenseKeySpecific.Progress(sanitize.Progress);
        }
        else if (!_mediumPresent)
        {
            key = SenseKey.NotReady;
            asc = Asc.MediumNotPresent;
        }
        int length = SenseData.Write(sense, descriptor, key, Asc.Code(asc), Asc.Qualifier(asc), null, keySpecific);
        CompleteDataIn(task, sense[..length], allocationLength);
    }

    /// <summary>
    /// SBC-4 §5.25: START STOP UNIT. Any POWER CONDITION other than START_VALID (0h) is accepted as a
    /// no-op (there are no power states here) and START/LOEJ are then ignored; LOEJ ejects (START = 0) or
    /// loads (START = 1) a removable medium unless PREVENT ALLOW MEDIUM REMOVAL is in effect, which blocks
    /// both (libiscsi's PreventAllow.Eject). The cache is flushed before an eject unless NO_FLUSH.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask StartStopUnitAsync(ScsiTask task, CancellationToken cancellationToken)
    {
        byte control = task.Cdb[4];
        int powerCondition = control >> 4;
        bool noFlush = (control & 0x04) != 0;
        bool loadEject = (control & 0x02) != 0;
        bool start = (control & 0x01) != 0;
        task.CommandTransferLength = 0;
        if (powerCondition != 0)
        {
            return;
        }
        if (!loadEject)
        {
            return;
        }
        if (!_options.Removable)
        {
            task.InvalidFieldInCdb(4, 1);
            return;
        }
        lock (_mediumLock)
        {
            if (AnyNexusPreventsRemoval())
            {
                // SPC-4 §6.13: ILLEGAL REQUEST, MEDIUM REMOVAL PREVENTED.
                task.CheckCondition(SenseKey.IllegalRequest, Asc.MediumRemovalPrevented);
                return;
            }
        }
        if (start)
        {
            _mediumPresent = true;
            return;
        }
        if (!noFlush && _mediumPresent)
        {
            await _device.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        _mediumPresent = false;
    }

    /// <summary>SPC-4 §6.13: PREVENT ALLOW MEDIUM REMOVAL, tracked per I_T nexus.</summary>
    private void PreventAllowMediumRemoval(ScsiTask task)
    {
        int prevent = task.Cdb[4] & 0x03;
        if (prevent > 1)
        {
            // 10b/11b are for medium changers.
            task.InvalidFieldInCdb(4, 1);
            return;
        }
        task.CommandTransferLength = 0;
        if (task.Nexus is null)
        {
            return;
        }
        lock (_mediumLock)
        {
            GetNexusState(task.Nexus).PreventsRemoval = prevent == 1;
        }
    }

    private bool AnyNexusPreventsRemoval()
    {
        foreach (KeyValuePair<ItNexus, NexusState> entry in _nexuses)
        {
            if (entry.Value.PreventsRemoval)
            {
                return true;
            }
        }
        return false;
    }
}
