using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using NetScsi.Scsi.Commands;

namespace NetScsi.Scsi.Emulation;

public sealed partial class BlockLogicalUnit
{
    private const int PrOutParameterListLength = 24;

    // PERSISTENT RESERVE IN service actions (SPC-4 §6.15.1).
    private const int PrInReadKeys = 0x00;
    private const int PrInReadReservation = 0x01;
    private const int PrInReportCapabilities = 0x02;
    private const int PrInReadFullStatus = 0x03;
    private const int FullStatusDescriptorHeaderLength = 24;

    // PERSISTENT RESERVE OUT service actions (SPC-4 §6.16.1).
    private const int PrOutRegister = 0x00;
    private const int PrOutReserve = 0x01;
    private const int PrOutRelease = 0x02;
    private const int PrOutClear = 0x03;
    private const int PrOutPreempt = 0x04;
    private const int PrOutPreemptAndAbort = 0x05;
    private const int PrOutRegisterAndIgnoreExistingKey = 0x06;

    private readonly PersistentReservationState _pr = new();

    // Under the PR lock: the nexuses the current PREEMPT removed or took the reservation from.
    private readonly List<ItNexus> _preempted = [];

    /// <inheritdoc/>
    public event EventHandler<TasksAbortRequestedEventArgs>? TasksAbortRequested;

    /// <summary>The current persistent reservation type (None when there is none).</summary>
    public PersistentReservationType PersistentReservation
    {
        get
        {
            lock (_pr.Sync)
            {
                return _pr.Type;
            }
        }
    }

    /// <summary>
    /// SPC-4 §5.13.1 (table 47): with a persistent reservation in place, a nexus without the holder's
    /// access may run only commands that cannot disturb it; reads are allowed under the write-exclusive
    /// types; everything else is RESERVATION CONFLICT.
    /// </summary>
    private bool ConflictsWithPersistentReservation(ScsiTask task, byte opcode)
    {
        if (!_pr.Active)
        {
            return false;
        }
        ReadOnlySpan<byte> cdb = task.Cdb;
        bool conflict;
        lock (_pr.Sync)
        {
            if (opcode is ScsiOpcode.Reserve6 or ScsiOpcode.Reserve10 or ScsiOpcode.Release6 or ScsiOpcode.Release10)
            {
                // SPC-4 §5.13.3: while any nexus is registered, RESERVE and RELEASE conflict for everyone.
                conflict = _pr.Registrations.Count != 0;
            }
            else if (!_pr.HasReservation || (task.Nexus is not null && HasReservationAccess(task.Nexus)))
            {
                conflict = false;
            }
            else
            {
                conflict = ClassifyForReservation(opcode, cdb) switch
                {
                    ReservationAccess.Allowed => false,
                    ReservationAccess.Read => _pr.ExclusiveAccess,
                    _ => true,
                };
            }
        }
        if (conflict)
        {
            task.Status = ScsiStatus.ReservationConflict;
        }
        return conflict;
    }

    // Under the PR lock: the holder, or under a registrants-only / all-registrants type any registrant.
    private bool HasReservationAccess(ItNexus nexus) =>
        _pr.RegistrantsHaveAccess ? _pr.Registrations.ContainsKey(nexus) : _pr.IsHolder(nexus);

    private enum ReservationAccess
    {
        Allowed,
        Read,
        Write,
    }

    private static ReservationAccess ClassifyForReservation(byte opcode, ReadOnlySpan<byte> cdb)
    {
        switch (opcode)
        {
            case ScsiOpcode.Inquiry:
            case ScsiOpcode.ReportLuns:
            case ScsiOpcode.RequestSense:
            case ScsiOpcode.PersistentReserveIn:
            case ScsiOpcode.PersistentReserveOut:
            case ScsiOpcode.MaintenanceIn:
            case ScsiOpcode.TestUnitReady:
            case ScsiOpcode.ReadCapacity10:
                return ReservationAccess.Allowed;
            case ScsiOpcode.ServiceActionIn16:
                return (cdb[1] & 0x1F) == ScsiOpcode.ReadCapacity16ServiceAction ? ReservationAccess.Allowed : ReservationAccess.Read;
            case ScsiOpcode.PreventAllowMediumRemoval:
                return (cdb[4] & 0x03) == 0 ? ReservationAccess.Allowed : ReservationAccess.Write;
            case ScsiOpcode.StartStopUnit:
                return (cdb[4] & 0x03) == 0x01 ? ReservationAccess.Allowed : ReservationAccess.Write;
            case ScsiOpcode.Read6:
            case ScsiOpcode.Read10:
            case ScsiOpcode.Read12:
            case ScsiOpcode.Read16:
            case ScsiOpcode.Verify10:
            case ScsiOpcode.Verify12:
            case ScsiOpcode.Verify16:
            case ScsiOpcode.PreFetch10:
            case ScsiOpcode.PreFetch16:
            case ScsiOpcode.ModeSense6:
            case ScsiOpcode.ModeSense10:
                return ReservationAccess.Read;
            default:
                return ReservationAccess.Write;
        }
    }

    /// <summary>SPC-4 §6.15: PERSISTENT RESERVE IN (READ KEYS, READ RESERVATION, REPORT CAPABILITIES, READ FULL STATUS).</summary>
    private void PersistentReserveIn(ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        int serviceAction = cdb[1] & 0x1F;
        int allocationLength = CdbDecoder.ReadUInt16(cdb, 7);
        switch (serviceAction)
        {
            case PrInReadKeys:
            {
                byte[] data;
                int length;
                lock (_pr.Sync)
                {
                    length = 8 + (8 * _pr.Registrations.Count);
                    data = ArrayPool<byte>.Shared.Rent(length);
                    BinaryPrimitives.WriteUInt32BigEndian(data, _pr.Generation);
                    BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4), (uint)(length - 8)); // ADDITIONAL LENGTH
                    int offset = 8;
                    foreach (KeyValuePair<ItNexus, ulong> registration in _pr.Registrations)
                    {
                        BinaryPrimitives.WriteUInt64BigEndian(data.AsSpan(offset), registration.Value);
                        offset += 8;
                    }
                }
                CompleteDataIn(task, data.AsSpan(0, length), allocationLength);
                ArrayPool<byte>.Shared.Return(data);
                return;
            }
            case PrInReadReservation:
            {
                Span<byte> d = stackalloc byte[24];
                d.Clear();
                int length = 8;
                lock (_pr.Sync)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(d, _pr.Generation);
                    if (_pr.HasReservation)
                    {
                        // SPC-4 §6.15.3.3: with an all-registrants type the key reported is zero.
                        ulong key = !_pr.IsAllRegistrants && _pr.Holder is not null && _pr.Registrations.TryGetValue(_pr.Holder, out ulong k) ? k : 0;
                        BinaryPrimitives.WriteUInt32BigEndian(d[4..], 16);
                        BinaryPrimitives.WriteUInt64BigEndian(d[8..], key);
                        d[21] = (byte)_pr.Type; // SCOPE 0h (LU_SCOPE), TYPE
                        length = 24;
                    }
                }
                CompleteDataIn(task, d[..length], allocationLength);
                return;
            }
            case PrInReportCapabilities:
            {
                // SPC-4 §6.15.4: CRH = 1; no SPEC_I_PT, ALL_TG_PT or persist-through-power-loss; TMV = 1.
                Span<byte> d = stackalloc byte[8];
                d.Clear();
                BinaryPrimitives.WriteUInt16BigEndian(d, 8);
                d[2] = 0x10; // CRH
                d[3] = 0x80; // TMV
                d[4] = 0x80 | 0x40 | 0x20 | 0x08 | 0x02; // WR_EX_AR, EX_AC_RO, WR_EX_RO, EX_AC, WR_EX
                d[5] = 0x01; // EX_AC_AR
                CompleteDataIn(task, d, allocationLength);
                return;
            }
            case PrInReadFullStatus:
                ReadFullStatus(task, allocationLength);
                return;
            default:
                task.InvalidFieldInCdb(1, 4);
                return;
        }
    }

    /// <summary>SPC-4 §6.15.5: READ FULL STATUS: one descriptor per registered I_T nexus.</summary>
    private void ReadFullStatus(ScsiTask task, int allocationLength)
    {
        lock (_pr.Sync)
        {
            int length = 8;
            foreach (KeyValuePair<ItNexus, ulong> registration in _pr.Registrations)
            {
                length += FullStatusDescriptorHeaderLength + TransportIdLength(registration.Key);
            }
            byte[] data = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                Span<byte> d = data.AsSpan(0, length);
                d.Clear();
                BinaryPrimitives.WriteUInt32BigEndian(d, _pr.Generation);
                BinaryPrimitives.WriteUInt32BigEndian(d[4..], (uint)(length - 8));
                int offset = 8;
                foreach (KeyValuePair<ItNexus, ulong> registration in _pr.Registrations)
                {
                    Span<byte> desc = d[offset..];
                    BinaryPrimitives.WriteUInt64BigEndian(desc, registration.Value);
                    if (_pr.HasReservation && _pr.IsHolder(registration.Key))
                    {
                        desc[12] = 0x01; // R_HOLDER
                        desc[13] = (byte)_pr.Type; // SCOPE 0h (LU_SCOPE), TYPE
                    }
                    BinaryPrimitives.WriteUInt16BigEndian(desc[18..], registration.Key.RelativeTargetPortId);
                    int transportIdLength = WriteTransportId(desc[FullStatusDescriptorHeaderLength..], registration.Key);
                    BinaryPrimitives.WriteUInt32BigEndian(desc[20..], (uint)transportIdLength);
                    offset += FullStatusDescriptorHeaderLength + transportIdLength;
                }
                CompleteDataIn(task, d, allocationLength);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(data);
            }
        }
    }

    // SPC-4 §7.6.4.6: an iSCSI TransportID: the name NUL-terminated, padded to a multiple of 4, at least 20 bytes.
    // ItNexus names follow iSCSI (the only transport so far): a port name ("<name>,i,0x<ISID>") uses
    // FORMAT CODE 01b, a bare device name FORMAT CODE 00b.
    private static int TransportIdLength(ItNexus nexus)
    {
        int nameLength = Encoding.UTF8.GetByteCount(TransportIdName(nexus)) + 1;
        return 4 + Math.Max(20, (nameLength + 3) & ~3);
    }

    private static int WriteTransportId(Span<byte> d, ItNexus nexus)
    {
        int length = TransportIdLength(nexus);
        d[..length].Clear();
        bool portName = nexus.InitiatorPortName.Contains(",i,0x", StringComparison.OrdinalIgnoreCase);
        d[0] = (byte)((portName ? 0x40 : 0x00) | 0x05); // FORMAT CODE, PROTOCOL IDENTIFIER 5h (iSCSI)
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)(length - 4)); // ADDITIONAL LENGTH
        Encoding.UTF8.GetBytes(TransportIdName(nexus), d[4..]);
        return length;
    }

    private static string TransportIdName(ItNexus nexus) =>
        string.IsNullOrEmpty(nexus.InitiatorPortName) ? nexus.InitiatorName : nexus.InitiatorPortName;

    /// <summary>
    /// SPC-4 §6.16: PERSISTENT RESERVE OUT: REGISTER, REGISTER AND IGNORE EXISTING KEY, RESERVE, RELEASE,
    /// CLEAR, PREEMPT, PREEMPT AND ABORT (the preempted nexuses' tasks are aborted by the transport, asked
    /// through <see cref="TasksAbortRequested"/>).
    /// </summary>
    private void PersistentReserveOut(ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        int serviceAction = cdb[1] & 0x1F;
        int scope = cdb[2] >> 4;
        var type = (PersistentReservationType)(cdb[2] & 0x0F);
        uint parameterListLength = CdbDecoder.ReadUInt32(cdb, 5);
        task.CommandTransferLength = parameterListLength;
        if (serviceAction > PrOutRegisterAndIgnoreExistingKey)
        {
            // REGISTER AND MOVE and REPLACE LOST RESERVATION are not supported.
            task.InvalidFieldInCdb(1, 4);
            return;
        }
        if (parameterListLength != PrOutParameterListLength)
        {
            task.CheckCondition(SenseKey.IllegalRequest, Asc.ParameterListLengthError);
            return;
        }
        if (DataOutLength(task) < PrOutParameterListLength)
        {
            task.CheckCondition(SenseKey.IllegalRequest, Asc.ParameterListLengthError);
            return;
        }
        ReadOnlySpan<byte> parameters = task.Buffer.Span[..PrOutParameterListLength];
        ulong reservationKey = BinaryPrimitives.ReadUInt64BigEndian(parameters);
        ulong serviceActionKey = BinaryPrimitives.ReadUInt64BigEndian(parameters[8..]);
        byte flags = parameters[20];
        if ((flags & 0x08) != 0)
        {
            task.InvalidFieldInParameterList(20, 3); // SPEC_I_PT: SIP_C = 0
            return;
        }
        if ((flags & 0x04) != 0)
        {
            task.InvalidFieldInParameterList(20, 2); // ALL_TG_PT: ATP_C = 0
            return;
        }
        if ((flags & 0x01) != 0)
        {
            task.InvalidFieldInParameterList(20, 0); // APTPL: PTPL_C = 0
            return;
        }
        bool usesType = serviceAction is PrOutReserve or PrOutRelease or PrOutPreempt or PrOutPreemptAndAbort;
        if (usesType && scope != 0)
        {
            task.InvalidFieldInCdb(2, 7); // only LU_SCOPE
            return;
        }
        if (usesType && !IsValidReservationType(type))
        {
            task.InvalidFieldInCdb(2, 3);
            return;
        }
        ItNexus? nexus = task.Nexus;
        if (nexus is null)
        {
            task.Status = ScsiStatus.ReservationConflict;
            return;
        }

        ItNexus[]? abortNexuses = null;
        lock (_pr.Sync)
        {
            bool registered = _pr.Registrations.TryGetValue(nexus, out ulong currentKey);
            switch (serviceAction)
            {
                case PrOutRegister:
                case PrOutRegisterAndIgnoreExistingKey:
                    // SPC-4 §5.13.7: REGISTER checks the current key; REGISTER AND IGNORE EXISTING KEY does not.
                    if (serviceAction == PrOutRegister && (registered ? reservationKey != currentKey : reservationKey != 0))
                    {
                        task.Status = ScsiStatus.ReservationConflict;
                        return;
                    }
                    if (serviceActionKey == 0)
                    {
                        if (registered)
                        {
                            _pr.Unregister(nexus);
                            _pr.Generation++;
                        }
                        return;
                    }
                    _pr.Registrations[nexus] = serviceActionKey;
                    _pr.Active = true;
                    _pr.Generation++;
                    return;

                case PrOutReserve:
                    if (!registered || reservationKey != currentKey)
                    {
                        task.Status = ScsiStatus.ReservationConflict;
                        return;
                    }
                    if (!_pr.HasReservation)
                    {
                        _pr.Type = type;
                        _pr.Holder = nexus;
                        return;
                    }
                    // SPC-4 §5.13.9: the holder may repeat its own reservation; anything else conflicts.
                    if (!_pr.IsHolder(nexus) || _pr.Type != type)
                    {
                        task.Status = ScsiStatus.ReservationConflict;
                    }
                    return;

                case PrOutRelease:
                    if (!registered || reservationKey != currentKey)
                    {
                        task.Status = ScsiStatus.ReservationConflict;
                        return;
                    }
                    if (!_pr.HasReservation || !_pr.IsHolder(nexus))
                    {
                        return; // SPC-4 §5.13.11.2.2: not the holder: GOOD, nothing happens.
                    }
                    if (_pr.Type != type)
                    {
                        task.CheckCondition(SenseKey.IllegalRequest, Asc.InvalidReleaseOfPersistentReservation);
                        return;
                    }
                    bool notifyRegistrants = _pr.RegistrantsHaveAccess;
                    _pr.ClearReservation();
                    if (notifyRegistrants)
                    {
                        // SPC-4 §5.13.11.2.2: registrants-only / all-registrants release: RESERVATIONS RELEASED.
                        RaiseUnitAttentionForRegistrants(Asc.ReservationsReleased, except: nexus);
                    }
                    return;

                case PrOutClear:
                    if (!registered || reservationKey != currentKey)
                    {
                        task.Status = ScsiStatus.ReservationConflict;
                        return;
                    }
                    // SPC-4 §5.13.11.2.6: every other registrant learns RESERVATIONS PREEMPTED.
                    RaiseUnitAttentionForRegistrants(Asc.ReservationsPreempted, except: nexus);
                    _pr.Registrations.Clear();
                    _pr.ClearReservation();
                    _pr.Active = false;
                    _pr.Generation++;
                    return;

                default: // PREEMPT, PREEMPT AND ABORT
                    if (!registered || reservationKey != currentKey)
                    {
                        task.Status = ScsiStatus.ReservationConflict;
                        return;
                    }
                    _preempted.Clear();
                    Preempt(task, nexus, serviceActionKey, type);
                    if (serviceAction == PrOutPreemptAndAbort && task.Status == ScsiStatus.Good && _preempted.Count != 0)
                    {
                        abortNexuses = _preempted.ToArray();
                    }
                    break;
            }
        }
        if (abortNexuses is not null)
        {
            // SPC-4 §5.13.11.2.5: the preempted nexuses' tasks are aborted; the transport owns them.
            TasksAbortRequested?.Invoke(this, new TasksAbortRequestedEventArgs(abortNexuses, nexus));
        }
    }

    /// <summary>Under the PR lock: SPC-4 §5.13.11.2.4 PREEMPT.</summary>
    private void Preempt(ScsiTask task, ItNexus nexus, ulong serviceActionKey, PersistentReservationType type)
    {
        if (_pr.HasReservation && _pr.IsAllRegistrants && serviceActionKey == 0)
        {
            // All-registrants reservation, key 0: every other registration goes; the preempting nexus
            // then holds a reservation of the requested type.
            RemoveRegistrations(nexus, static (_, _) => true, 0);
            _pr.Type = type;
            _pr.Holder = nexus;
            _pr.Generation++;
            return;
        }
        ulong holderKey = 0;
        bool holderPreempted = _pr.HasReservation && !_pr.IsAllRegistrants && _pr.Holder is not null
            && _pr.Registrations.TryGetValue(_pr.Holder, out holderKey) && holderKey == serviceActionKey;
        if (!holderPreempted && serviceActionKey == 0)
        {
            task.InvalidFieldInParameterList(8);
            return;
        }
        int removed = RemoveRegistrations(nexus, static (key, target) => key == target, serviceActionKey);
        if (holderPreempted)
        {
            // The reservation moves to the preempting nexus with the requested type and scope.
            ItNexus? previous = _pr.Holder;
            _pr.Type = type;
            _pr.Holder = nexus;
            if (previous is not null && !previous.Equals(nexus) && _pr.Registrations.ContainsKey(previous))
            {
                GetNexusState(previous).Add(Asc.ReservationsPreempted);
                _preempted.Add(previous);
            }
        }
        else if (removed == 0)
        {
            task.Status = ScsiStatus.ReservationConflict;
            return;
        }
        _pr.Active = _pr.Registrations.Count != 0;
        _pr.Generation++;
    }

    /// <summary>
    /// Under the PR lock: removes the registrations (other than <paramref name="keep"/>) whose key matches,
    /// telling each removed nexus REGISTRATIONS PREEMPTED; returns how many went.
    /// </summary>
    private int RemoveRegistrations(ItNexus keep, Func<ulong, ulong, bool> matches, ulong target)
    {
        int removed = 0;
        List<ItNexus>? victims = null;
        foreach (KeyValuePair<ItNexus, ulong> registration in _pr.Registrations)
        {
            if (!registration.Key.Equals(keep) && matches(registration.Value, target))
            {
                (victims ??= []).Add(registration.Key);
            }
        }
        if (victims is null)
        {
            return 0;
        }
        foreach (ItNexus victim in victims)
        {
            _pr.Registrations.Remove(victim);
            GetNexusState(victim).Add(Asc.RegistrationsPreempted);
            _preempted.Add(victim);
            removed++;
        }
        return removed;
    }

    private void RaiseUnitAttentionForRegistrants(ushort ascAndAscq, ItNexus except)
    {
        foreach (KeyValuePair<ItNexus, ulong> registration in _pr.Registrations)
        {
            if (!registration.Key.Equals(except))
            {
                GetNexusState(registration.Key).Add(ascAndAscq);
            }
        }
    }

    private static bool IsValidReservationType(PersistentReservationType type) => type is
        PersistentReservationType.WriteExclusive or PersistentReservationType.ExclusiveAccess or
        PersistentReservationType.WriteExclusiveRegistrantsOnly or PersistentReservationType.ExclusiveAccessRegistrantsOnly or
        PersistentReservationType.WriteExclusiveAllRegistrants or PersistentReservationType.ExclusiveAccessAllRegistrants;
}
