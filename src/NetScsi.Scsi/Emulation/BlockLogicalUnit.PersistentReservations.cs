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
    private const int PrOutRegisterAndMove = 0x07;
    private const int RegisterAndMoveHeaderLength = 24;
    private const int IscsiProtocolIdentifier = 0x5;

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
            // SPC-4 table 47: allowed through write-exclusive types, conflicting under exclusive access
            // (REPORT CAPABILITIES ALLOW COMMANDS = 011b); the unimplemented ones then fail as unsupported.
            case ScsiOpcode.ReadDefectData10:
            case ScsiOpcode.ReadDefectData12:
            case ScsiOpcode.ReceiveCopyResults:
            case ScsiOpcode.ReadBuffer10:
            case ScsiOpcode.ReadAttribute:
            case ScsiOpcode.ReceiveDiagnosticResults:
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
                // SPC-4 §6.15.4: RLR_C = 0 (no REPLACE LOST RESERVATION), CRH = 1, no SPEC_I_PT or ALL_TG_PT;
                // PTPL_C with a state file, PTPL_A while APTPL is active; TMV = 1; ALLOW COMMANDS 011b: TEST UNIT
                // READY runs through every type, and MODE SENSE, READ ATTRIBUTE, READ BUFFER, RECEIVE COPY RESULTS,
                // RECEIVE DIAGNOSTIC RESULTS, REPORT SUPPORTED OPERATION CODES / TASK MANAGEMENT FUNCTIONS and
                // READ DEFECT DATA through the write-exclusive ones (ClassifyForReservation).
                Span<byte> d = stackalloc byte[8];
                d.Clear();
                BinaryPrimitives.WriteUInt16BigEndian(d, 8);
                d[2] = (byte)(0x10 | (PersistenceSupported ? 0x01 : 0x00)); // CRH, PTPL_C
                bool persistActive;
                lock (_pr.Sync)
                {
                    persistActive = _pr.PersistThroughPowerLoss;
                }
                d[3] = (byte)(0x80 | (0b011 << 4) | (persistActive ? 0x01 : 0x00)); // TMV, ALLOW COMMANDS, PTPL_A
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
    /// through <see cref="TasksAbortRequested"/>), REGISTER AND MOVE. With APTPL active every change is
    /// written to <see cref="LogicalUnitOptions.ReservationStatePath"/> before the command completes.
    /// </summary>
    private void PersistentReserveOut(ScsiTask task)
    {
        ReadOnlySpan<byte> cdb = task.Cdb;
        int serviceAction = cdb[1] & 0x1F;
        int scope = cdb[2] >> 4;
        var type = (PersistentReservationType)(cdb[2] & 0x0F);
        uint parameterListLength = CdbDecoder.ReadUInt32(cdb, 5);
        task.CommandTransferLength = parameterListLength;
        if (serviceAction > PrOutRegisterAndMove)
        {
            // REPLACE LOST RESERVATION is not supported (RLR_C = 0).
            task.InvalidFieldInCdb(1, 4);
            return;
        }
        if (serviceAction == PrOutRegisterAndMove)
        {
            RegisterAndMove(task, parameterListLength);
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
        bool registering = serviceAction is PrOutRegister or PrOutRegisterAndIgnoreExistingKey;
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
        // SPC-4 §6.16.3: APTPL counts only in the register service actions; the others ignore it.
        bool aptpl = registering && (flags & 0x01) != 0;
        if (aptpl && !PersistenceSupported)
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
            PersistentReservationState.Snapshot? before = PersistenceSupported ? _pr.Capture() : null;
            bool registered = _pr.Registrations.TryGetValue(nexus, out ulong currentKey);
            bool? newAptpl = null;
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
                        if (!registered)
                        {
                            return; // nothing registered, nothing to do (APTPL unchanged either)
                        }
                        _pr.Unregister(nexus);
                        _pr.Generation++;
                    }
                    else
                    {
                        _pr.Registrations[nexus] = serviceActionKey;
                        _pr.Active = true;
                        _pr.Generation++;
                    }
                    newAptpl = aptpl;
                    break;

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
                        break;
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
                    break;

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
                    break;

                default: // PREEMPT, PREEMPT AND ABORT
                    if (!registered || reservationKey != currentKey)
                    {
                        task.Status = ScsiStatus.ReservationConflict;
                        return;
                    }
                    _preempted.Clear();
                    Preempt(task, nexus, serviceActionKey, type);
                    if (task.Status != ScsiStatus.Good)
                    {
                        return;
                    }
                    if (serviceAction == PrOutPreemptAndAbort && _preempted.Count != 0)
                    {
                        abortNexuses = _preempted.ToArray();
                    }
                    break;
            }
            if (!PersistChange(task, before, newAptpl))
            {
                return;
            }
        }
        if (abortNexuses is not null)
        {
            // SPC-4 §5.13.11.2.5: the preempted nexuses' tasks are aborted; the transport owns them.
            TasksAbortRequested?.Invoke(this, new TasksAbortRequestedEventArgs(abortNexuses, nexus));
        }
    }

    private bool PersistenceSupported => _options.ReservationStatePath is not null;

    /// <summary>
    /// Under the PR lock, after a successful change: SPC-4 §5.13.5: a register service action sets APTPL
    /// (<paramref name="newAptpl"/>); while it is active the state file is rewritten, and turning it off deletes
    /// the file. If the file cannot be written the change is undone and the command ends with HARDWARE ERROR,
    /// INTERNAL TARGET FAILURE (unit attentions already queued stay). Returns whether the command succeeded.
    /// </summary>
    private bool PersistChange(ScsiTask task, PersistentReservationState.Snapshot? before, bool? newAptpl)
    {
        if (_options.ReservationStatePath is not { } path || before is null)
        {
            return true;
        }
        bool wasActive = _pr.PersistThroughPowerLoss;
        bool active = newAptpl ?? wasActive;
        if (!active && !wasActive)
        {
            return true;
        }
        try
        {
            if (active)
            {
                PersistentReservationStore.Save(path, _pr);
            }
            else
            {
                PersistentReservationStore.Delete(path);
            }
            _pr.PersistThroughPowerLoss = active;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _pr.Restore(before);
            task.CheckCondition(SenseKey.HardwareError, Asc.InternalTargetFailure);
            return false;
        }
    }

    /// <summary>
    /// SPC-4 §5.13.8, §6.16.4: REGISTER AND MOVE: the reservation holder registers another I_T nexus (named by
    /// a TransportID and RELATIVE TARGET PORT IDENTIFIER) with the service action reservation key and moves the
    /// reservation, same type and scope, to it; UNREG = 1 also unregisters the sending nexus. The CDB's SCOPE
    /// and TYPE are ignored.
    /// </summary>
    private void RegisterAndMove(ScsiTask task, uint parameterListLength)
    {
        if (parameterListLength < RegisterAndMoveHeaderLength || DataOutLength(task) < parameterListLength)
        {
            task.CheckCondition(SenseKey.IllegalRequest, Asc.ParameterListLengthError);
            return;
        }
        ReadOnlySpan<byte> parameters = task.Buffer.Span[..(int)parameterListLength];
        ulong reservationKey = BinaryPrimitives.ReadUInt64BigEndian(parameters);
        ulong serviceActionKey = BinaryPrimitives.ReadUInt64BigEndian(parameters[8..]);
        bool unregister = (parameters[17] & 0x02) != 0;
        bool aptpl = (parameters[17] & 0x01) != 0;
        ushort relativeTargetPortId = BinaryPrimitives.ReadUInt16BigEndian(parameters[18..]);
        uint transportIdLength = BinaryPrimitives.ReadUInt32BigEndian(parameters[20..]);
        // The list is the 24-byte header and exactly the TransportID it announces.
        if (transportIdLength != parameterListLength - RegisterAndMoveHeaderLength)
        {
            task.CheckCondition(SenseKey.IllegalRequest, Asc.ParameterListLengthError);
            return;
        }
        if (aptpl && !PersistenceSupported)
        {
            task.InvalidFieldInParameterList(17, 0); // APTPL: PTPL_C = 0
            return;
        }
        ItNexus? nexus = task.Nexus;
        if (nexus is null)
        {
            task.Status = ScsiStatus.ReservationConflict;
            return;
        }
        lock (_pr.Sync)
        {
            // SPC-4 §5.13.8 (table "register behaviors for a REGISTER AND MOVE service action").
            if (!_pr.Registrations.TryGetValue(nexus, out ulong currentKey) || reservationKey != currentKey)
            {
                task.Status = ScsiStatus.ReservationConflict;
                return;
            }
            if (!_pr.HasReservation)
            {
                task.InvalidFieldInCdb(1, 4); // no persistent reservation to move
                return;
            }
            if (_pr.IsAllRegistrants || !_pr.IsHolder(nexus))
            {
                // All-registrants reservations cannot be moved; only the holder may move one.
                task.Status = ScsiStatus.ReservationConflict;
                return;
            }
            if (serviceActionKey == 0)
            {
                task.InvalidFieldInParameterList(8);
                return;
            }
            if (relativeTargetPortId == 0)
            {
                task.InvalidFieldInParameterList(18); // 0 is not a relative target port identifier
                return;
            }
            ItNexus? destination = ResolveTransportId(task, parameters[RegisterAndMoveHeaderLength..], relativeTargetPortId, nexus);
            if (destination is null)
            {
                return; // sense already set
            }

            PersistentReservationState.Snapshot? before = PersistenceSupported ? _pr.Capture() : null;
            // It is no error to register a nexus that is already registered, with this key or another one.
            _pr.Registrations[destination] = serviceActionKey;
            _pr.Holder = destination;
            if (unregister)
            {
                _pr.Registrations.Remove(nexus);
            }
            _pr.Active = true;
            _pr.Generation++;
            PersistChange(task, before, aptpl);
        }
    }

    /// <summary>
    /// Under the PR lock: the destination of a REGISTER AND MOVE from its iSCSI TransportID (SPC-4 §7.6.4.6).
    /// FORMAT CODE 01b names an initiator port ("name,i,0x&lt;ISID&gt;"): a known nexus with that port on that target
    /// port, else a new one; FORMAT CODE 00b names the initiator device: the one known nexus of that name on that
    /// target port. Anything else, or the sending initiator port itself, is INVALID FIELD IN PARAMETER LIST.
    /// </summary>
    private ItNexus? ResolveTransportId(ScsiTask task, ReadOnlySpan<byte> transportId, ushort relativeTargetPortId, ItNexus source)
    {
        const int offset = RegisterAndMoveHeaderLength;
        if (transportId.Length < 24 || (transportId.Length & 3) != 0)
        {
            task.InvalidFieldInParameterList(20); // an iSCSI TransportID is at least 24 bytes, a multiple of 4
            return null;
        }
        if ((transportId[0] & 0x0F) != IscsiProtocolIdentifier)
        {
            task.InvalidFieldInParameterList(offset, 3); // PROTOCOL IDENTIFIER: only iSCSI
            return null;
        }
        int format = transportId[0] >> 6;
        if (format > 1 || (transportId[0] & 0x30) != 0)
        {
            task.InvalidFieldInParameterList(offset, 7); // FORMAT CODE
            return null;
        }
        int additionalLength = BinaryPrimitives.ReadUInt16BigEndian(transportId[2..]);
        if (additionalLength < 20 || (additionalLength & 3) != 0 || 4 + additionalLength > transportId.Length)
        {
            task.InvalidFieldInParameterList(offset + 2);
            return null;
        }
        ReadOnlySpan<byte> nameField = transportId.Slice(4, additionalLength);
        int terminator = nameField.IndexOf((byte)0);
        if (terminator <= 0)
        {
            task.InvalidFieldInParameterList(offset + 4); // the name must be NUL-terminated and not empty
            return null;
        }
        string name;
        try
        {
            name = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(nameField[..terminator]);
        }
        catch (DecoderFallbackException)
        {
            task.InvalidFieldInParameterList(offset + 4);
            return null;
        }

        if (format == 0)
        {
            // An initiator device name: the initiator's one nexus on that target port.
            if (string.Equals(name, source.InitiatorName, StringComparison.OrdinalIgnoreCase))
            {
                task.InvalidFieldInParameterList(offset + 4); // the sending initiator itself
                return null;
            }
            ItNexus? match = null;
            foreach (ItNexus known in KnownNexuses())
            {
                if (known.RelativeTargetPortId == relativeTargetPortId && string.Equals(known.InitiatorName, name, StringComparison.OrdinalIgnoreCase))
                {
                    if (match is not null && !match.Equals(known))
                    {
                        task.InvalidFieldInParameterList(offset + 4); // ambiguous: several ports of that initiator
                        return null;
                    }
                    match = known;
                }
            }
            if (match is null)
            {
                task.InvalidFieldInParameterList(offset + 4); // no port of that initiator is known
            }
            return match;
        }

        if (!TryParsePortName(name, out string deviceName, out ulong isid))
        {
            task.InvalidFieldInParameterList(offset + 4);
            return null;
        }
        if (TryParsePortName(source.InitiatorPortName, out string sourceName, out ulong sourceIsid)
            && sourceIsid == isid && string.Equals(sourceName, deviceName, StringComparison.OrdinalIgnoreCase))
        {
            task.InvalidFieldInParameterList(offset + 4); // the sending initiator port itself
            return null;
        }
        foreach (ItNexus known in KnownNexuses())
        {
            if (known.RelativeTargetPortId == relativeTargetPortId && TryParsePortName(known.InitiatorPortName, out string knownName, out ulong knownIsid)
                && knownIsid == isid && string.Equals(knownName, deviceName, StringComparison.OrdinalIgnoreCase))
            {
                return known;
            }
        }
        // Not logged in yet: registered under the name the transport will give that port (ItNexus), the iSCSI
        // name in its normalized lower case (RFC 3722) and the ISID as 12 hex digits.
        string normalized = deviceName.ToLowerInvariant();
        return new ItNexus(normalized, $"{normalized},i,0x{isid:x12}", relativeTargetPortId);
    }

    private IEnumerable<ItNexus> KnownNexuses()
    {
        foreach (KeyValuePair<ItNexus, ulong> registration in _pr.Registrations)
        {
            yield return registration.Key;
        }
        foreach (KeyValuePair<ItNexus, NexusState> entry in _nexuses)
        {
            yield return entry.Key;
        }
    }

    // "<iSCSI name>,i,0x<ISID in hex>" (RFC 7143 §13.3 / SPC-4 §7.6.4.6): the name and the 48-bit ISID.
    private static bool TryParsePortName(string portName, out string deviceName, out ulong isid)
    {
        const string separator = ",i,0x";
        int at = portName.IndexOf(separator, StringComparison.OrdinalIgnoreCase);
        deviceName = at > 0 ? portName[..at] : string.Empty;
        isid = 0;
        if (at <= 0)
        {
            return false;
        }
        ReadOnlySpan<char> hex = portName.AsSpan(at + separator.Length);
        return hex.Length is > 0 and <= 12
            && ulong.TryParse(hex, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out isid);
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
