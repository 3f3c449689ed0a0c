namespace NetScsi.Scsi.Emulation;

/// <summary>
/// Registrations and the persistent reservation of one logical unit (SPC-4 §5.13). Kept in memory; with
/// <see cref="ScsiLogicalUnitOptions.ReservationStatePath"/> set and APTPL activated, also in that file
/// (<see cref="PersistentReservationStore"/>).
/// </summary>
internal sealed class PersistentReservationState
{
    public readonly Lock Sync = new();

    /// <summary>Reservation key per registered I_T nexus.</summary>
    public readonly Dictionary<ItNexus, ulong> Registrations = new();

    /// <summary>PRGENERATION (SPC-4 §6.15.2).</summary>
    public uint Generation;

    /// <summary>The reservation holder; null with no reservation or with an all-registrants type.</summary>
    public ItNexus? Holder;

    public PersistentReservationType Type;

    /// <summary>Lock-free fast path: false while there are no registrations (hence no reservation).</summary>
    public volatile bool Active;

    /// <summary>PTPL_A: the last REGISTER / REGISTER AND IGNORE EXISTING KEY / REGISTER AND MOVE had APTPL = 1.</summary>
    public bool PersistThroughPowerLoss;

    public bool HasReservation => Type != PersistentReservationType.None;

    public bool IsAllRegistrants => Type is PersistentReservationType.WriteExclusiveAllRegistrants or PersistentReservationType.ExclusiveAccessAllRegistrants;

    /// <summary>Types under which every registrant has the holder's access (SPC-4 §5.13.10).</summary>
    public bool RegistrantsHaveAccess => Type is PersistentReservationType.WriteExclusiveRegistrantsOnly or PersistentReservationType.ExclusiveAccessRegistrantsOnly
        or PersistentReservationType.WriteExclusiveAllRegistrants or PersistentReservationType.ExclusiveAccessAllRegistrants;

    public bool ExclusiveAccess => Type is PersistentReservationType.ExclusiveAccess or PersistentReservationType.ExclusiveAccessRegistrantsOnly
        or PersistentReservationType.ExclusiveAccessAllRegistrants;

    /// <summary>Under <see cref="Sync"/>: is the nexus a reservation holder (SPC-4 §5.13.10)?</summary>
    public bool IsHolder(ItNexus nexus) =>
        IsAllRegistrants ? Registrations.ContainsKey(nexus) : Holder is not null && Holder.Equals(nexus);

    /// <summary>Under <see cref="Sync"/>: drops the reservation.</summary>
    public void ClearReservation()
    {
        Holder = null;
        Type = PersistentReservationType.None;
    }

    /// <summary>Under <see cref="Sync"/>: removes a registration, releasing the reservation it held.</summary>
    public void Unregister(ItNexus nexus)
    {
        Registrations.Remove(nexus);
        if (HasReservation)
        {
            // SPC-4 §5.13.11.2.3: a holder that unregisters releases the reservation; with an
            // all-registrants type it ends only with the last registration.
            if (IsAllRegistrants ? Registrations.Count == 0 : Holder is not null && Holder.Equals(nexus))
            {
                ClearReservation();
            }
        }
        Active = Registrations.Count != 0;
    }

    /// <summary>Under <see cref="Sync"/>: a copy to go back to if the change cannot be made persistent.</summary>
    public Snapshot Capture() => new(new Dictionary<ItNexus, ulong>(Registrations), Generation, Holder, Type, PersistThroughPowerLoss);

    /// <summary>Under <see cref="Sync"/>: puts back what <see cref="Capture"/> saw.</summary>
    public void Restore(Snapshot snapshot)
    {
        Registrations.Clear();
        foreach (KeyValuePair<ItNexus, ulong> registration in snapshot.Registrations)
        {
            Registrations[registration.Key] = registration.Value;
        }
        Generation = snapshot.Generation;
        Holder = snapshot.Holder;
        Type = snapshot.Type;
        PersistThroughPowerLoss = snapshot.PersistThroughPowerLoss;
        Active = Registrations.Count != 0;
    }

    public sealed record Snapshot(Dictionary<ItNexus, ulong> Registrations, uint Generation, ItNexus? Holder, PersistentReservationType Type, bool PersistThroughPowerLoss);
}
