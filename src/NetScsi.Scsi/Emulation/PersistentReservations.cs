using System.Buffers;
using System.Buffers.Binary;
using NetScsi.Scsi.Commands;

namespace NetScsi.Scsi.Emulation;

/// <summary>
/// Persistent reservations of one logical unit (SPC-4 §5.13): PERSISTENT RESERVE IN (READ KEYS, READ RESERVATION,
/// REPORT CAPABILITIES, READ FULL STATUS), PERSISTENT RESERVE OUT (REGISTER, REGISTER AND IGNORE EXISTING KEY,
/// RESERVE, RELEASE, CLEAR, PREEMPT, PREEMPT AND ABORT, REGISTER AND MOVE) and the access check every command
/// passes. Initiators are named by the TransportIDs their transport gives the nexus (<see cref="ItNexus"/>);
/// a TransportID a command names is read with the codec of the nexus it came through. With
/// <see cref="ScsiLogicalUnitOptions.ReservationStatePath"/> set and APTPL active, every change is written to that
/// file before the command completes (<see cref="PersistentReservationStore"/>).
/// </summary>
internal sealed class PersistentReservations
{
    private const int FullStatusDescriptorHeaderLength = 24;
    private const int ReadKeysHeaderLength = 8;
    private const int ReservationDescriptorLength = 16;
    private const int ReservationScopeTypeOffset = 21;
    private const int ReportCapabilitiesLength = 8;
    private const int TypeBitNumber = 3;
    private const int ScopeBitNumber = 7;
    private const int ProtocolIdentifierBitNumber = 3;

    // SPC-4 §6.15.4: REPORT CAPABILITIES flags.
    private const byte CompatibleReservationHandling = 0x10;
    private const byte PersistThroughPowerLossCapable = 0x01;
    private const byte TypeMaskValid = 0x80;
    private const int AllowCommandsShift = 4;
    private const int AllowCommandsWriteExclusiveReads = 0b011;
    private const byte PersistThroughPowerLossActivated = 0x01;
    private const byte WriteExclusiveAllRegistrantsBit = 0x80;
    private const byte ExclusiveAccessRegistrantsOnlyBit = 0x40;
    private const byte WriteExclusiveRegistrantsOnlyBit = 0x20;
    private const byte ExclusiveAccessBit = 0x08;
    private const byte WriteExclusiveBit = 0x02;
    private const byte ExclusiveAccessAllRegistrantsBit = 0x01;

    // SPC-4 §6.15.5: READ FULL STATUS descriptor.
    private const byte ReservationHolderBit = 0x01;
    private const int HolderFlagsOffset = 12;
    private const int HolderScopeTypeOffset = 13;
    private const int DescriptorRelativeTargetPortOffset = 18;
    private const int DescriptorTransportIdLengthOffset = 20;

    private readonly ScsiLogicalUnit _unit;
    private readonly string? _statePath;
    private readonly PersistentReservationState _pr = new();

    // Under the PR lock: the nexuses the current PREEMPT removed or took the reservation from.
    private readonly List<ItNexus> _preempted = [];

    public PersistentReservations(ScsiLogicalUnit unit, string? statePath, Func<string, string, ushort, ItNexus>? version1Registrant)
    {
        _unit = unit;
        _statePath = statePath;
        if (statePath is not null)
        {
            // SPC-4 §5.13.5: registrations and the reservation made with APTPL = 1 survive power loss.
            PersistentReservationStore.TryLoad(statePath, _pr, version1Registrant);
        }
    }

    /// <summary>Lock-free: false while nothing is registered (hence no reservation).</summary>
    public bool Active => _pr.Active;

    /// <summary>The current persistent reservation type (None when there is none).</summary>
    public PersistentReservationType Type
    {
        get
        {
            lock (_pr.Sync)
            {
                return _pr.Type;
            }
        }
    }

    private bool PersistenceSupported => _statePath is not null;

    /// <summary>
    /// SPC-4 §5.13.1 (table 47): with a persistent reservation in place, a nexus without the holder's access may run
    /// only commands that cannot disturb it (<paramref name="access"/> says which kind the command is); reads are
    /// allowed under the write-exclusive types. SPC-4 §5.13.3: while any nexus is registered, RESERVE and RELEASE
    /// conflict for everyone.
    /// </summary>
    public bool Conflicts(ItNexus? nexus, byte opcode, ReservationAccess access)
    {
        lock (_pr.Sync)
        {
            if (opcode is ScsiOpcode.Reserve6 or ScsiOpcode.Reserve10 or ScsiOpcode.Release6 or ScsiOpcode.Release10)
            {
                return _pr.Registrations.Count != 0;
            }
            if (!_pr.HasReservation || (nexus is not null && HasReservationAccess(nexus)))
            {
                return false;
            }
            return access switch
            {
                ReservationAccess.Allowed => false,
                ReservationAccess.Read => _pr.ExclusiveAccess,
                _ => true,
            };
        }
    }

    // Under the PR lock: the holder, or under a registrants-only / all-registrants type any registrant.
    private bool HasReservationAccess(ItNexus nexus) =>
        _pr.RegistrantsHaveAccess ? _pr.Registrations.ContainsKey(nexus) : _pr.IsHolder(nexus);

    /// <summary>SPC-4 §6.15: PERSISTENT RESERVE IN.</summary>
    public void ReserveIn(ScsiTask task)
    {
        if (!PersistentReserveInCdb.TryParse(task.Cdb, out PersistentReserveInCdb cdb))
        {
            task.InvalidFieldInCdb(0);
            return;
        }
        int allocationLength = cdb.AllocationLength;
        switch (cdb.ServiceAction)
        {
            case PersistentReserveInCdb.ReadKeys:
                ReadKeys(task, allocationLength);
                return;
            case PersistentReserveInCdb.ReadReservation:
                ReadReservation(task, allocationLength);
                return;
            case PersistentReserveInCdb.ReportCapabilities:
                ReportCapabilities(task, allocationLength);
                return;
            case PersistentReserveInCdb.ReadFullStatus:
                ReadFullStatus(task, allocationLength);
                return;
            default:
                task.InvalidFieldInCdb(1, CdbFields.ServiceActionHighBit);
                return;
        }
    }

    /// <summary>SPC-4 §6.15.2: READ KEYS.</summary>
    private void ReadKeys(ScsiTask task, int allocationLength)
    {
        byte[] data;
        int length;
        lock (_pr.Sync)
        {
            length = ReadKeysHeaderLength + (sizeof(ulong) * _pr.Registrations.Count);
            data = ArrayPool<byte>.Shared.Rent(length);
            BinaryPrimitives.WriteUInt32BigEndian(data, _pr.Generation);
            BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4), (uint)(length - ReadKeysHeaderLength)); // ADDITIONAL LENGTH
            int offset = ReadKeysHeaderLength;
            foreach (KeyValuePair<ItNexus, ulong> registration in _pr.Registrations)
            {
                BinaryPrimitives.WriteUInt64BigEndian(data.AsSpan(offset), registration.Value);
                offset += sizeof(ulong);
            }
        }
        ScsiTaskData.CompleteDataIn(task, data.AsSpan(0, length), allocationLength);
        ArrayPool<byte>.Shared.Return(data);
    }

    /// <summary>SPC-4 §6.15.3: READ RESERVATION.</summary>
    private void ReadReservation(ScsiTask task, int allocationLength)
    {
        Span<byte> d = stackalloc byte[ReadKeysHeaderLength + ReservationDescriptorLength];
        d.Clear();
        int length = ReadKeysHeaderLength;
        lock (_pr.Sync)
        {
            BinaryPrimitives.WriteUInt32BigEndian(d, _pr.Generation);
            if (_pr.HasReservation)
            {
                // SPC-4 §6.15.3.3: with an all-registrants type the key reported is zero.
                ulong key = !_pr.IsAllRegistrants && _pr.Holder is not null && _pr.Registrations.TryGetValue(_pr.Holder, out ulong k) ? k : 0;
                BinaryPrimitives.WriteUInt32BigEndian(d[4..], ReservationDescriptorLength);
                BinaryPrimitives.WriteUInt64BigEndian(d[8..], key);
                d[ReservationScopeTypeOffset] = (byte)_pr.Type; // SCOPE 0h (LU_SCOPE), TYPE
                length = ReadKeysHeaderLength + ReservationDescriptorLength;
            }
        }
        ScsiTaskData.CompleteDataIn(task, d[..length], allocationLength);
    }

    /// <summary>
    /// SPC-4 §6.15.4: REPORT CAPABILITIES. RLR_C = 0 (no REPLACE LOST RESERVATION), CRH = 1, no SPEC_I_PT or
    /// ALL_TG_PT; PTPL_C with a state file, PTPL_A while APTPL is active; TMV = 1; ALLOW COMMANDS 011b: TEST UNIT
    /// READY runs through every type, and MODE SENSE, READ ATTRIBUTE, READ BUFFER, RECEIVE COPY RESULTS, RECEIVE
    /// DIAGNOSTIC RESULTS, REPORT SUPPORTED OPERATION CODES / TASK MANAGEMENT FUNCTIONS and READ DEFECT DATA through
    /// the write-exclusive ones.
    /// </summary>
    private void ReportCapabilities(ScsiTask task, int allocationLength)
    {
        Span<byte> d = stackalloc byte[ReportCapabilitiesLength];
        d.Clear();
        BinaryPrimitives.WriteUInt16BigEndian(d, ReportCapabilitiesLength);
        d[2] = (byte)(CompatibleReservationHandling | (PersistenceSupported ? PersistThroughPowerLossCapable : 0));
        bool persistActive;
        lock (_pr.Sync)
        {
            persistActive = _pr.PersistThroughPowerLoss;
        }
        d[3] = (byte)(TypeMaskValid | (AllowCommandsWriteExclusiveReads << AllowCommandsShift) | (persistActive ? PersistThroughPowerLossActivated : 0));
        d[4] = WriteExclusiveAllRegistrantsBit | ExclusiveAccessRegistrantsOnlyBit | WriteExclusiveRegistrantsOnlyBit | ExclusiveAccessBit | WriteExclusiveBit;
        d[5] = ExclusiveAccessAllRegistrantsBit;
        ScsiTaskData.CompleteDataIn(task, d, allocationLength);
    }

    /// <summary>SPC-4 §6.15.5: READ FULL STATUS: one descriptor per registered I_T nexus, with its TransportID.</summary>
    private void ReadFullStatus(ScsiTask task, int allocationLength)
    {
        lock (_pr.Sync)
        {
            int length = ReadKeysHeaderLength;
            foreach (KeyValuePair<ItNexus, ulong> registration in _pr.Registrations)
            {
                length += FullStatusDescriptorHeaderLength + registration.Key.InitiatorPort.Length;
            }
            byte[] data = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                Span<byte> d = data.AsSpan(0, length);
                d.Clear();
                BinaryPrimitives.WriteUInt32BigEndian(d, _pr.Generation);
                BinaryPrimitives.WriteUInt32BigEndian(d[4..], (uint)(length - ReadKeysHeaderLength));
                int offset = ReadKeysHeaderLength;
                foreach (KeyValuePair<ItNexus, ulong> registration in _pr.Registrations)
                {
                    Span<byte> desc = d[offset..];
                    BinaryPrimitives.WriteUInt64BigEndian(desc, registration.Value);
                    if (_pr.HasReservation && _pr.IsHolder(registration.Key))
                    {
                        desc[HolderFlagsOffset] = ReservationHolderBit; // R_HOLDER
                        desc[HolderScopeTypeOffset] = (byte)_pr.Type; // SCOPE 0h (LU_SCOPE), TYPE
                    }
                    BinaryPrimitives.WriteUInt16BigEndian(desc[DescriptorRelativeTargetPortOffset..], registration.Key.RelativeTargetPortId);
                    int transportIdLength = registration.Key.InitiatorPort.CopyTo(desc[FullStatusDescriptorHeaderLength..]);
                    BinaryPrimitives.WriteUInt32BigEndian(desc[DescriptorTransportIdLengthOffset..], (uint)transportIdLength);
                    offset += FullStatusDescriptorHeaderLength + transportIdLength;
                }
                ScsiTaskData.CompleteDataIn(task, d, allocationLength);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(data);
            }
        }
    }

    /// <summary>
    /// SPC-4 §6.16: PERSISTENT RESERVE OUT. Returns the nexuses whose tasks the transport must abort (PREEMPT AND
    /// ABORT, SPC-4 §5.13.11.2.5), or null. With APTPL active every change is persisted before the command completes.
    /// </summary>
    public TasksAbortRequestedEventArgs? ReserveOut(ScsiTask task)
    {
        if (!PersistentReserveOutCdb.TryParse(task.Cdb, out PersistentReserveOutCdb cdb))
        {
            task.InvalidFieldInCdb(0);
            return null;
        }
        int serviceAction = cdb.ServiceAction;
        PersistentReservationType type = cdb.Type;
        task.CommandTransferLength = cdb.ParameterListLength;
        if (serviceAction > PersistentReserveOutCdb.RegisterAndMove)
        {
            // REPLACE LOST RESERVATION is not supported (RLR_C = 0).
            task.InvalidFieldInCdb(1, CdbFields.ServiceActionHighBit);
            return null;
        }
        if (serviceAction == PersistentReserveOutCdb.RegisterAndMove)
        {
            RegisterAndMove(task, cdb.ParameterListLength);
            return null;
        }
        if (cdb.ParameterListLength != PersistentReserveOutParameters.Length
            || !PersistentReserveOutParameters.TryParse(task.Buffer.Span[..ScsiTaskData.DataOutLength(task)], out PersistentReserveOutParameters parameters))
        {
            task.CheckCondition(SenseKey.IllegalRequest, Asc.ParameterListLengthError);
            return null;
        }
        ulong reservationKey = parameters.ReservationKey;
        ulong serviceActionKey = parameters.ServiceActionKey;
        bool registering = serviceAction is PersistentReserveOutCdb.Register or PersistentReserveOutCdb.RegisterAndIgnoreExistingKey;
        if (parameters.SpecifyInitiatorPorts)
        {
            task.InvalidFieldInParameterList(PersistentReserveOutParameters.FlagsOffset, PersistentReserveOutParameters.SpecifyInitiatorPortsBitNumber); // SIP_C = 0
            return null;
        }
        if (parameters.AllTargetPorts)
        {
            task.InvalidFieldInParameterList(PersistentReserveOutParameters.FlagsOffset, PersistentReserveOutParameters.AllTargetPortsBitNumber); // ATP_C = 0
            return null;
        }
        // SPC-4 §6.16.3: APTPL counts only in the register service actions; the others ignore it.
        bool aptpl = registering && parameters.ActivatePersistThroughPowerLoss;
        if (aptpl && !PersistenceSupported)
        {
            task.InvalidFieldInParameterList(PersistentReserveOutParameters.FlagsOffset, PersistentReserveOutParameters.ActivatePersistThroughPowerLossBitNumber); // PTPL_C = 0
            return null;
        }
        bool usesType = serviceAction is PersistentReserveOutCdb.Reserve or PersistentReserveOutCdb.Release
            or PersistentReserveOutCdb.Preempt or PersistentReserveOutCdb.PreemptAndAbort;
        if (usesType && cdb.Scope != PersistentReserveOutCdb.LogicalUnitScope)
        {
            task.InvalidFieldInCdb(2, ScopeBitNumber); // only LU_SCOPE
            return null;
        }
        if (usesType && !IsValidReservationType(type))
        {
            task.InvalidFieldInCdb(2, TypeBitNumber);
            return null;
        }
        ItNexus? nexus = task.Nexus;
        if (nexus is null)
        {
            task.Status = ScsiStatus.ReservationConflict;
            return null;
        }

        ItNexus[]? abortNexuses = null;
        lock (_pr.Sync)
        {
            PersistentReservationState.Snapshot? before = PersistenceSupported ? _pr.Capture() : null;
            bool registered = _pr.Registrations.TryGetValue(nexus, out ulong currentKey);
            bool? newAptpl = null;
            switch (serviceAction)
            {
                case PersistentReserveOutCdb.Register:
                case PersistentReserveOutCdb.RegisterAndIgnoreExistingKey:
                    // SPC-4 §5.13.7: REGISTER checks the current key; REGISTER AND IGNORE EXISTING KEY does not.
                    if (serviceAction == PersistentReserveOutCdb.Register && (registered ? reservationKey != currentKey : reservationKey != 0))
                    {
                        task.Status = ScsiStatus.ReservationConflict;
                        return null;
                    }
                    if (serviceActionKey == 0)
                    {
                        if (!registered)
                        {
                            return null; // nothing registered, nothing to do (APTPL unchanged either)
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

                case PersistentReserveOutCdb.Reserve:
                    if (!registered || reservationKey != currentKey)
                    {
                        task.Status = ScsiStatus.ReservationConflict;
                        return null;
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
                    return null;

                case PersistentReserveOutCdb.Release:
                    if (!registered || reservationKey != currentKey)
                    {
                        task.Status = ScsiStatus.ReservationConflict;
                        return null;
                    }
                    if (!_pr.HasReservation || !_pr.IsHolder(nexus))
                    {
                        return null; // SPC-4 §5.13.11.2.2: not the holder: GOOD, nothing happens.
                    }
                    if (_pr.Type != type)
                    {
                        task.CheckCondition(SenseKey.IllegalRequest, Asc.InvalidReleaseOfPersistentReservation);
                        return null;
                    }
                    bool notifyRegistrants = _pr.RegistrantsHaveAccess;
                    _pr.ClearReservation();
                    if (notifyRegistrants)
                    {
                        // SPC-4 §5.13.11.2.2: registrants-only / all-registrants release: RESERVATIONS RELEASED.
                        RaiseUnitAttentionForRegistrants(Asc.ReservationsReleased, except: nexus);
                    }
                    break;

                case PersistentReserveOutCdb.Clear:
                    if (!registered || reservationKey != currentKey)
                    {
                        task.Status = ScsiStatus.ReservationConflict;
                        return null;
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
                        return null;
                    }
                    _preempted.Clear();
                    Preempt(task, nexus, serviceActionKey, type);
                    if (task.Status != ScsiStatus.Good)
                    {
                        return null;
                    }
                    if (serviceAction == PersistentReserveOutCdb.PreemptAndAbort && _preempted.Count != 0)
                    {
                        abortNexuses = _preempted.ToArray();
                    }
                    break;
            }
            if (!PersistChange(task, before, newAptpl))
            {
                return null;
            }
        }
        return abortNexuses is null ? null : new TasksAbortRequestedEventArgs(abortNexuses, nexus);
    }

    /// <summary>
    /// Under the PR lock, after a successful change: SPC-4 §5.13.5: a register service action sets APTPL
    /// (<paramref name="newAptpl"/>); while it is active the state file is rewritten, and turning it off deletes
    /// the file. If the file cannot be written the change is undone and the command ends with HARDWARE ERROR,
    /// INTERNAL TARGET FAILURE (unit attentions already queued stay). Returns whether the command succeeded.
    /// </summary>
    private bool PersistChange(ScsiTask task, PersistentReservationState.Snapshot? before, bool? newAptpl)
    {
        if (_statePath is not { } path || before is null)
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
        ReadOnlySpan<byte> data = task.Buffer.Span[..ScsiTaskData.DataOutLength(task)];
        if (parameterListLength < RegisterAndMoveParameters.HeaderLength || data.Length < parameterListLength
            || !RegisterAndMoveParameters.TryParse(data, out RegisterAndMoveParameters parameters))
        {
            task.CheckCondition(SenseKey.IllegalRequest, Asc.ParameterListLengthError);
            return;
        }
        ReadOnlySpan<byte> list = data[..(int)parameterListLength];
        // The list is the 24-byte header and exactly the TransportID it announces.
        if (parameters.TransportIdLength != parameterListLength - RegisterAndMoveParameters.HeaderLength)
        {
            task.CheckCondition(SenseKey.IllegalRequest, Asc.ParameterListLengthError);
            return;
        }
        if (parameters.ActivatePersistThroughPowerLoss && !PersistenceSupported)
        {
            task.InvalidFieldInParameterList(RegisterAndMoveParameters.FlagsOffset, RegisterAndMoveParameters.ActivatePersistThroughPowerLossBitNumber); // PTPL_C = 0
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
            if (!_pr.Registrations.TryGetValue(nexus, out ulong currentKey) || parameters.ReservationKey != currentKey)
            {
                task.Status = ScsiStatus.ReservationConflict;
                return;
            }
            if (!_pr.HasReservation)
            {
                task.InvalidFieldInCdb(1, CdbFields.ServiceActionHighBit); // no persistent reservation to move
                return;
            }
            if (_pr.IsAllRegistrants || !_pr.IsHolder(nexus))
            {
                // All-registrants reservations cannot be moved; only the holder may move one.
                task.Status = ScsiStatus.ReservationConflict;
                return;
            }
            if (parameters.ServiceActionKey == 0)
            {
                task.InvalidFieldInParameterList(8);
                return;
            }
            if (parameters.RelativeTargetPortId == 0)
            {
                task.InvalidFieldInParameterList(RegisterAndMoveParameters.RelativeTargetPortIdOffset); // 0 is not a relative target port identifier
                return;
            }
            ItNexus? destination = ResolveTransportId(task, list[RegisterAndMoveParameters.HeaderLength..], parameters.RelativeTargetPortId, nexus);
            if (destination is null)
            {
                return; // sense already set
            }

            PersistentReservationState.Snapshot? before = PersistenceSupported ? _pr.Capture() : null;
            // It is no error to register a nexus that is already registered, with this key or another one.
            _pr.Registrations[destination] = parameters.ServiceActionKey;
            _pr.Holder = destination;
            if (parameters.Unregister)
            {
                _pr.Registrations.Remove(nexus);
            }
            _pr.Active = true;
            _pr.Generation++;
            PersistChange(task, before, parameters.ActivatePersistThroughPowerLoss);
        }
    }

    /// <summary>
    /// Under the PR lock: the destination of a REGISTER AND MOVE from its TransportID (SPC-4 §7.6.4), read with the
    /// codec of the transport the command came through. A TransportID naming an initiator port gives the known nexus
    /// of that port on that target port, else a new one (the port has not logged in yet); one naming only an initiator
    /// device gives the one known nexus of that device on that target port. Another protocol, a malformed TransportID,
    /// or the sending initiator itself is INVALID FIELD IN PARAMETER LIST.
    /// </summary>
    private ItNexus? ResolveTransportId(ScsiTask task, ReadOnlySpan<byte> transportId, ushort relativeTargetPortId, ItNexus source)
    {
        const int offset = RegisterAndMoveParameters.HeaderLength;
        if (transportId.Length < TransportId.MinimumLength || (transportId.Length & 3) != 0)
        {
            // SPC-4 §6.16.4: TRANSPORTID PARAMETER DATA LENGTH is at least 24 and a multiple of 4.
            task.InvalidFieldInParameterList(RegisterAndMoveParameters.TransportIdLengthOffset);
            return null;
        }
        ITransportIdCodec? codec = source.TransportIds;
        if (codec is null || (transportId[0] & TransportId.ProtocolIdentifierMask) != codec.ProtocolIdentifier)
        {
            // PROTOCOL IDENTIFIER: only initiators of the transport the command came through can be named.
            task.InvalidFieldInParameterList(offset, ProtocolIdentifierBitNumber);
            return null;
        }
        if (!codec.TryParse(transportId, out ParsedTransportId parsed, out TransportIdFieldError error))
        {
            if (error.IsLength)
            {
                task.InvalidFieldInParameterList(RegisterAndMoveParameters.TransportIdLengthOffset);
            }
            else
            {
                task.InvalidFieldInParameterList(offset + error.Offset, error.Bit);
            }
            return null;
        }

        if (!parsed.NamesPort)
        {
            // An initiator device: the initiator's one nexus on that target port.
            if (parsed.Id.Equals(source.InitiatorDevice))
            {
                task.InvalidFieldInParameterList(offset); // the sending initiator itself
                return null;
            }
            ItNexus? match = null;
            foreach (ItNexus known in KnownNexuses())
            {
                if (known.RelativeTargetPortId == relativeTargetPortId && known.InitiatorDevice.Equals(parsed.Id))
                {
                    if (match is not null && !match.Equals(known))
                    {
                        task.InvalidFieldInParameterList(offset); // ambiguous: several ports of that initiator
                        return null;
                    }
                    match = known;
                }
            }
            if (match is null)
            {
                task.InvalidFieldInParameterList(offset); // no port of that initiator is known
            }
            return match;
        }

        if (parsed.Id.Equals(source.InitiatorPort))
        {
            task.InvalidFieldInParameterList(offset); // the sending initiator port itself
            return null;
        }
        foreach (ItNexus known in KnownNexuses())
        {
            if (known.RelativeTargetPortId == relativeTargetPortId && known.InitiatorPort.Equals(parsed.Id))
            {
                return known;
            }
        }
        // Not logged in yet: registered under the TransportID the transport will give that port's nexus.
        return new ItNexus(parsed.Id, parsed.Device, relativeTargetPortId, codec);
    }

    private IEnumerable<ItNexus> KnownNexuses()
    {
        foreach (KeyValuePair<ItNexus, ulong> registration in _pr.Registrations)
        {
            yield return registration.Key;
        }
        foreach (ItNexus nexus in _unit.KnownNexuses)
        {
            yield return nexus;
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
                _unit.GetNexusState(previous).Add(Asc.ReservationsPreempted);
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
            _unit.GetNexusState(victim).Add(Asc.RegistrationsPreempted);
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
                _unit.GetNexusState(registration.Key).Add(ascAndAscq);
            }
        }
    }

    private static bool IsValidReservationType(PersistentReservationType type) => type is
        PersistentReservationType.WriteExclusive or PersistentReservationType.ExclusiveAccess or
        PersistentReservationType.WriteExclusiveRegistrantsOnly or PersistentReservationType.ExclusiveAccessRegistrantsOnly or
        PersistentReservationType.WriteExclusiveAllRegistrants or PersistentReservationType.ExclusiveAccessAllRegistrants;
}
