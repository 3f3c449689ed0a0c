using NetScsi.Scsi.Commands;

namespace NetScsi.Scsi.Emulation;

public abstract partial class ScsiLogicalUnit
{
    /// <summary>PREVENT ALLOW MEDIUM REMOVAL byte 4 bits 1-0: PREVENT.</summary>
    private protected const byte PreventMask = 0x03;

    // RESERVE(6) byte 1 bit 0 was the extent bit; RESERVE(10)/RELEASE(10) bit 4 is 3RDPTY, bit 1 LONGID. None supported.
    private const byte Reserve6UnsupportedBits = 0x01;
    private const byte Reserve10UnsupportedBits = 0x13;

    // The I_T nexus holding a RESERVE(6)/(10) reservation (SPC-2 §5.5.1), or null.
    private ItNexus? _reservationHolder;

    /// <summary>The nexus holding an SPC-2 reservation, if any.</summary>
    public ItNexus? ReservationHolder => Volatile.Read(ref _reservationHolder);

    /// <summary>
    /// SPC-2 §5.5.1: while another nexus holds the reservation, only commands that cannot disturb it
    /// run; the rest end with RESERVATION CONFLICT (no sense data).
    /// </summary>
    private bool ConflictsWithReservation(ScsiTask task, byte opcode)
    {
        ItNexus? holder = Volatile.Read(ref _reservationHolder);
        if (holder is null || (task.Nexus is not null && holder.Equals(task.Nexus)))
        {
            return false;
        }
        switch (opcode)
        {
            case ScsiOpcode.Inquiry:
            case ScsiOpcode.RequestSense:
            case ScsiOpcode.ReportLuns:
            case ScsiOpcode.Release6:
            case ScsiOpcode.Release10:
            case ScsiOpcode.MaintenanceIn:
                return false;
            case ScsiOpcode.PreventAllowMediumRemoval:
                return (task.Cdb[4] & PreventMask) != 0;
            default:
                task.Status = ScsiStatus.ReservationConflict;
                return true;
        }
    }

    /// <summary>SPC-2 §7.21 / §7.22: RESERVE(6) and RESERVE(10), logical unit reservations only.</summary>
    private void Reserve(ScsiTask task)
    {
        if (RefusesThirdPartyOrExtent(task))
        {
            return;
        }
        if (task.Nexus is null)
        {
            return;
        }
        if (_pr.Active)
        {
            // SPC-4 §5.13.3: no SPC-2 reservation alongside persistent reservation registrations.
            task.Status = ScsiStatus.ReservationConflict;
            return;
        }
        ItNexus? previous = Interlocked.CompareExchange(ref _reservationHolder, task.Nexus, null);
        if (previous is not null && !previous.Equals(task.Nexus))
        {
            task.Status = ScsiStatus.ReservationConflict;
        }
    }

    /// <summary>SPC-2 §7.17 / §7.18: RELEASE(6) and RELEASE(10). Releasing another nexus' reservation is GOOD and changes nothing.</summary>
    private void Release(ScsiTask task)
    {
        if (RefusesThirdPartyOrExtent(task))
        {
            return;
        }
        ItNexus? holder = Volatile.Read(ref _reservationHolder);
        if (holder is not null && task.Nexus is not null && holder.Equals(task.Nexus))
        {
            Interlocked.CompareExchange(ref _reservationHolder, null, holder);
        }
    }

    /// <summary>
    /// RESERVE/RELEASE with the extent (6-byte), third-party or long ID (10-byte) options, none supported: INVALID
    /// FIELD IN CDB. Otherwise the command moves no data.
    /// </summary>
    private static bool RefusesThirdPartyOrExtent(ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        byte unsupported = cdb[0] is ScsiOpcode.Reserve6 or ScsiOpcode.Release6 ? Reserve6UnsupportedBits : Reserve10UnsupportedBits;
        if ((cdb[1] & unsupported) != 0)
        {
            task.InvalidFieldInCdb(1);
            return true;
        }
        task.CommandTransferLength = 0;
        return false;
    }

    /// <summary>SPC-2 §5.5.1: resets release the reservation; so does loss of the holder's nexus.</summary>
    private void ReleaseReservationOnEvent(LogicalUnitEvent evt, ItNexus? origin)
    {
        if (evt is LogicalUnitEvent.NexusLoss)
        {
            ItNexus? holder = Volatile.Read(ref _reservationHolder);
            if (holder is not null && origin is not null && holder.Equals(origin))
            {
                Interlocked.CompareExchange(ref _reservationHolder, null, holder);
            }
            return;
        }
        if (evt is LogicalUnitEvent.LogicalUnitReset or LogicalUnitEvent.TargetWarmReset or LogicalUnitEvent.TargetColdReset)
        {
            Volatile.Write(ref _reservationHolder, null);
        }
    }
}
