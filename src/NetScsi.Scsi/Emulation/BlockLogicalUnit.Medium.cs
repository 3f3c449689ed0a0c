using System.Runtime.CompilerServices;

namespace NetScsi.Scsi.Emulation;

public sealed partial class BlockLogicalUnit
{
    // SBC-4 §5.25: START STOP UNIT byte 4.
    private const int PowerConditionShift = 4;
    private const byte NoFlushBit = 0x04;
    private const byte LoadEjectBit = 0x02;
    private const byte StartStopStartBit = 0x01;
    private const byte StartStopLoadEjectStartMask = LoadEjectBit | StartStopStartBit;

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
        int powerCondition = control >> PowerConditionShift;
        bool noFlush = (control & NoFlushBit) != 0;
        bool loadEject = (control & LoadEjectBit) != 0;
        bool start = (control & StartStopStartBit) != 0;
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
        int prevent = task.Cdb[4] & PreventMask;
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
}
